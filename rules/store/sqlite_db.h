// Thin RAII wrappers over the SQLite C API: Database (one sqlite3* connection), Statement (one
// prepared sqlite3_stmt* with bind/step/column helpers) and Transaction (BEGIN ... COMMIT, rolled
// back unless committed).
//
// Values always travel through bind(); SQL text given to prepare() and exec() is constant text
// written in our code. Every failure throws SqliteError, a StoreError that keeps the SQLite result
// code so that callers can turn "busy" or "corrupt" into a message that says what to do.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "rules/store/store_error.h"

namespace strangler::sqlite {

class SqliteError : public StoreError {
 public:
  SqliteError(int code, const std::string& message) : StoreError(message), code_(code) {}
  // The primary result code (SQLITE_BUSY, SQLITE_CORRUPT, ...).
  int code() const { return code_ & 0xff; }
  int extended_code() const { return code_; }

 private:
  int code_;
};

class Statement;

class Database {
 public:
  enum class Mode { kReadOnly, kReadWrite, kReadWriteCreate };

  // Opens `path`; kReadOnly and kReadWrite fail (SQLITE_CANTOPEN) when the file does not exist.
  // Extended result codes are on; foreign keys are on for writable connections.
  Database(const std::string& path, Mode mode);
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs constant SQL (one or more statements, no values); throws SqliteError on failure.
  void exec(const char* sql);
  Statement prepare(std::string_view sql);

  // How long a statement waits for another connection's lock before failing with SQLITE_BUSY.
  void set_busy_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds busy_timeout() const { return busy_timeout_; }

  std::int64_t last_insert_rowid() const;
  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  int changes() const;
  bool in_transaction() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // Throws SqliteError for `rc` with SQLite's message for this connection.
  [[noreturn]] void fail(int rc) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::chrono::milliseconds busy_timeout_{0};
};

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::nullptr_t);
  // Binds NULL when empty.
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);

  // Advances: true when a row is available, false when done. Throws SqliteError on failure.
  bool step();
  // Steps a statement that returns no rows (or whose rows do not matter) to completion.
  void run();
  // Makes the statement ready to run again; bindings are cleared.
  void reset();

  // Columns are numbered from 0, as in SQLite.
  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  int int32(int column) const { return static_cast<int>(int64(column)); }
  double real(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Transaction {
 public:
  enum class Kind {
    kDeferred,   // a read transaction until the first write (readers use this)
    kImmediate,  // takes the write lock now, waiting up to the busy timeout (writers use this)
  };

  Transaction(Database& db, Kind kind);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back unless commit() succeeded.
  ~Transaction();

  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

// Runs f inside a transaction of `kind` and commits; an exception from f rolls back. Returns what
// f returns.
template <typename F>
auto in_transaction(Database& db, Transaction::Kind kind, F&& f) -> decltype(f()) {
  Transaction transaction(db, kind);
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    transaction.commit();
  } else {
    auto result = f();
    transaction.commit();
    return result;
  }
}

// One integer result of constant SQL such as "PRAGMA user_version".
std::int64_t query_int(Database& db, std::string_view sql);

}  // namespace strangler::sqlite
