#!/usr/bin/python3
"""A strict HTTP/1.1 echo upstream for the integration tests, built on Debian's python3-h11.

h11 is an HTTP/1.1 implementation nobody on this project wrote, and it refuses what RFC 9112
forbids: a request it cannot frame, a missing Host, a bad header name or value, a bad chunk. Put
behind the router, any such error means the router sent invalid HTTP. Each error is appended to
ERRORS_FILE (one line: the h11 message) and the connection is closed, so the test can fail on it.

Every request is answered 200 with a JSON echo of what arrived: method, target, HTTP version,
headers in order, the body (latin-1 text, so bytes survive), and the number of the upstream
connection and of the request on it. "X-Echo-Chunked: 1" asks for a chunked answer. Answers to
HEAD carry the same headers and no body.

Usage: h11_echo_upstream.py ERRORS_FILE   (prints "h11-echo listening on http://127.0.0.1:PORT")
"""
import itertools
import json
import socket
import sys
import threading

import h11

ERRORS_LOCK = threading.Lock()
CONNECTION_IDS = itertools.count(1)
READ_TIMEOUT_SECONDS = 30


def record_error(path, message):
    with ERRORS_LOCK, open(path, "a", encoding="utf-8") as errors:
        errors.write(message.replace("\n", " ") + "\n")
    print("h11-echo: protocol error: " + message, file=sys.stderr, flush=True)


def echo_body(request, body, connection_id, request_number):
    return json.dumps({
        "method": request.method.decode("latin-1"),
        "target": request.target.decode("latin-1"),
        "http_version": request.http_version.decode("latin-1"),
        "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in request.headers],
        "body": body.decode("latin-1"),
        "connection": connection_id,
        "request_number": request_number,
    }).encode("utf-8")


def respond(conn, sock, request, body, connection_id, request_number):
    payload = echo_body(request, body, connection_id, request_number)
    chunked = any(n == b"x-echo-chunked" and v == b"1" for n, v in request.headers)
    headers = [("content-type", "application/json")]
    if not chunked:
        headers.append(("content-length", str(len(payload))))
    out = conn.send(h11.Response(status_code=200, headers=headers))
    if request.method != b"HEAD":
        if chunked:
            half = len(payload) // 2
            out += conn.send(h11.Data(data=payload[:half])) + conn.send(h11.Data(data=payload[half:]))
        else:
            out += conn.send(h11.Data(data=payload))
    out += conn.send(h11.EndOfMessage())
    sock.sendall(out)


def serve(sock, errors_path):
    connection_id = next(CONNECTION_IDS)
    conn = h11.Connection(h11.SERVER)
    sock.settimeout(READ_TIMEOUT_SECONDS)
    request, body, request_number = None, bytearray(), 0
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Request):
                request, body = event, bytearray()
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                request_number += 1
                respond(conn, sock, request, bytes(body), connection_id, request_number)
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return
    except h11.RemoteProtocolError as error:
        record_error(errors_path, "%s (connection %d)" % (error, connection_id))
    except (OSError, h11.LocalProtocolError):
        pass  # the router went away or timed out: not a protocol error on its part
    finally:
        sock.close()


def main():
    errors_path = sys.argv[1]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print("h11-echo listening on http://127.0.0.1:%d" % listener.getsockname()[1], flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock, errors_path), daemon=True).start()


if __name__ == "__main__":
    main()
