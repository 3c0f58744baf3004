// The real npm piston-client (1.0.2, tests/compat/package.json) against a real codecanvas
// server: node piston_client_test.mjs http://127.0.0.1:PORT
// Each check prints "ok <name>" or "FAIL <name>: why"; the exit status is the number of
// failures (the gtest beside this file runs it and reads both).
import { piston } from "piston-client";

const server = process.argv[2];
const client = piston({ server });
let failures = 0;

function check(name, condition, detail) {
  if (condition) {
    console.log(`ok ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${name}: ${JSON.stringify(detail)}`);
  }
}

const runtimes = await client.runtimes();
check("runtimes is a list", Array.isArray(runtimes), runtimes);
const python = (Array.isArray(runtimes) ? runtimes : []).find((r) => r.language === "python3");
check("runtimes has python3 with a version", python && /^\d+(\.\d+)+$/.test(python.version),
  runtimes);
const cpp = (Array.isArray(runtimes) ? runtimes : []).find((r) => r.language === "c++");
check("runtimes has c++ with its aliases", cpp && cpp.aliases.includes("cpp"), runtimes);

// The short form: language and source; the client adds args ["1","2","3"] and its limits.
let r = await client.execute("python3", "import sys\nprint('hello', sys.argv[1:])");
check("execute(python3) runs", r.run && r.run.stdout === "hello ['1', '2', '3']\n", r);
check("execute(python3) exit code 0", r.run && r.run.code === 0 && r.run.signal === null, r);
check("execute(python3) answers language and version",
  r.language === "python3" && r.version === python?.version, r);

// The long form: files, stdin, version "*" and an alias-free name with a compile step.
r = await client.execute({
  language: "c++",
  version: "*",
  files: [{ name: "main.cpp", content: "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n" }],
  stdin: "3 4\n",
});
check("execute(c++) compiles and runs", r.compile && r.compile.code === 0 && r.run.stdout === "7\n", r);

r = await client.execute({ language: "c++", version: "*", files: [{ content: "int main( {" }] });
check("compile error: the compile stage fails", r.compile && r.compile.code !== 0 &&
  r.compile.status === "RE" && r.compile.stderr.includes("error"), r);
check("compile error: run repeats the compile stage", r.run && r.run.code === r.compile.code, r);

r = await client.execute("python3", "import sys\nsys.stderr.write('bad\\n')\nsys.exit(3)");
check("a non-zero exit is RE with its code", r.run && r.run.code === 3 && r.run.status === "RE" &&
  r.run.stderr === "bad\n", r);

r = await client.execute("python3", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)");
check("a signal is SG with its name", r.run && r.run.signal === "SIGSEGV" && r.run.code === null &&
  r.run.status === "SG", r);

r = await client.execute({ language: "python3", files: [{ content: "while True: pass" }],
  runTimeout: 1000 });
check("a loop past its time is TO", r.run && r.run.status === "TO" && r.run.signal === "SIGKILL", r);

r = await client.execute("intercal", "DO READ OUT #1");
check("an unknown language is Piston's message", r.message === "intercal-* runtime is unknown", r);

// The same server as Piston's public instance is addressed: the /api/v2/piston/ prefix,
// a trailing slash, and Piston's error shape for a request it refuses.
let res = await fetch(`${server}/api/v2/piston/runtimes/`);
check("/api/v2/piston/runtimes/ answers the same list", res.status === 200 &&
  JSON.stringify(await res.json()) === JSON.stringify(runtimes), res.status);
res = await fetch(`${server}/api/v2/piston/execute`, {
  method: "POST", headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ language: "python3", version: "*", files: "print(1)" }) });
let body = await res.json();
check("a bad request is 400 {message}", res.status === 400 &&
  JSON.stringify(body) === JSON.stringify({ message: "files is required as an array" }), body);
res = await fetch(`${server}/api/v2/execute`, { method: "POST", body: "{not json" });
body = await res.json();
check("a body that is not JSON is 400 {message}", res.status === 400 &&
  Object.keys(body).join() === "message" && body.message.includes("not valid JSON"), body);

process.exit(failures);
