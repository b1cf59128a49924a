// TablePrinter: the aligned text tables of stranglerctl's listings.
//
//   TablePrinter table({"NAME", "URL"});
//   table.add_row({"legacy", "http://127.0.0.1:9001"});
//   table.print(out);
//
// Columns are as wide as their widest cell (counted in UTF-8 code points, so "→" is one column),
// separated by two spaces; the last column is not padded, so lines carry no trailing blanks.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace strangler::ctl {

class TablePrinter {
 public:
  explicit TablePrinter(std::vector<std::string> headers);

  // A row with fewer cells than headers is padded with empty cells.
  void add_row(std::vector<std::string> cells);
  std::size_t row_count() const { return rows_.size(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// The number of UTF-8 code points in `text` (its display width for the text we print).
std::size_t display_width(const std::string& text);

}  // namespace strangler::ctl
