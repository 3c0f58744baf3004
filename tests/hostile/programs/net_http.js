// Fetches a web page over HTTP and opens a raw TCP connection to the host's loopback,
// with Node's own event loop (libuv).
// Attacks: network isolation from a runtime whose sockets are non-blocking and whose
// errors arrive asynchronously.
// Sandbox should: fail both with EAFNOSUPPORT.
// limits: cpu_ms=2000 wall_ms=4000
// expect: status=ok
// expect: stdout-contains=http 1.1.1.1: EAFNOSUPPORT\n
// expect: stdout-contains=tcp 127.0.0.1:22: EAFNOSUPPORT\n
const http = require("http");
const net = require("net");

http
  .get("http://1.1.1.1/", (res) => console.log(`http 1.1.1.1: status ${res.statusCode}`))
  .on("error", (e) => console.log(`http 1.1.1.1: ${e.code}`));
net
  .connect(22, "127.0.0.1", () => console.log("tcp 127.0.0.1:22: connected"))
  .on("error", (e) => console.log(`tcp 127.0.0.1:22: ${e.code}`));
