// The one way router code includes Asio and Beast.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, which GCC 12
// rejects; including <utility> first here keeps every translation unit correct. Keep this header
// out of the pure parts of router/ (breaker, differ, sampler, header rules): they must not need it.
#pragma once

#include <chrono>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

// GCC 12 at -O2 reports -Wmismatched-new-delete inside Asio's coroutine frame allocator: frames
// come from thread_info_base::allocate's ::operator new and go back through the frame's own
// operator delete, which is the matching pair. A false positive that depends on inlining (which
// coroutine's frame it shows for changes with unrelated edits), so it is silenced here, for every
// file that uses Asio, rather than function by function.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace strangler {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// The data path's one executor type, named everywhere instead of Asio's default any_io_executor:
// that one is type-erased, and copying, comparing and querying it through its function table
// showed up in the router's CPU profile (docs/decisions.md).
using Executor = asio::io_context::executor_type;
template <typename T>
using Task = asio::awaitable<T, Executor>;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;

// Completion token for coroutines that want the error code instead of an exception.
inline auto use_ec(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable_t<Executor>{}, ec);
}

}  // namespace strangler
