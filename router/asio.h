// The one way router code includes Asio and Beast.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, which GCC 12
// rejects; including <utility> first here keeps every translation unit correct. Keep this header
// out of the pure parts of router/ (breaker, differ, sampler, header rules): they must not need it.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace strangler {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Completion token for coroutines that want the error code instead of an exception.
inline auto use_ec(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

}  // namespace strangler
