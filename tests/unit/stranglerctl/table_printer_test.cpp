// TablePrinter: columns aligned to the widest cell (by code point, so arrows count once), two
// spaces between columns, no trailing blanks.
#include <doctest/doctest.h>

#include <sstream>

#include "tools/stranglerctl/table_printer.h"

using strangler::ctl::display_width;
using strangler::ctl::TablePrinter;

TEST_CASE("columns are aligned to the widest cell") {
  TablePrinter table({"NAME", "URL", "N"});
  table.add_row({"legacy", "http://127.0.0.1:9001", "1"});
  table.add_row({"a", "http://x", "22"});
  std::ostringstream out;
  table.print(out);
  CHECK(out.str() ==
        "NAME    URL                    N\n"
        "legacy  http://127.0.0.1:9001  1\n"
        "a       http://x               22\n");
  CHECK(table.row_count() == 2);
}

TEST_CASE("multi-byte characters count as one column and short rows are padded") {
  TablePrinter table({"A", "B"});
  table.add_row({"x → y", "1"});
  table.add_row({"long cell"});
  std::ostringstream out;
  table.print(out);
  CHECK(out.str() ==
        "A          B\n"
        "x → y      1\n"
        "long cell\n");
  CHECK(display_width("→") == 1);
  CHECK(display_width("a→b") == 3);
  CHECK(display_width("") == 0);
}

TEST_CASE("a table without rows prints its header") {
  TablePrinter table({"ID", "PATTERN"});
  std::ostringstream out;
  table.print(out);
  CHECK(out.str() == "ID  PATTERN\n");
}
