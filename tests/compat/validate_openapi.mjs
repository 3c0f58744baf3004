// The server's /openapi.json validated against the OpenAPI 3.1 schema by a real validator
// (@seriousme/openapi-schema-validator, tests/compat/package.json):
//   node validate_openapi.mjs http://127.0.0.1:PORT
// Prints "valid" or the validator's errors; exits 0 only when the document is valid.
import { Validator } from "@seriousme/openapi-schema-validator";

const res = await fetch(`${process.argv[2]}/openapi.json`);
if (res.status !== 200) {
  console.log(`GET /openapi.json answered ${res.status}`);
  process.exit(1);
}
const doc = await res.json();
const validator = new Validator();
const result = await validator.validate(doc);
if (validator.version !== "3.1") {
  console.log(`the document is OpenAPI ${validator.version}, not 3.1`);
  process.exit(1);
}
if (!result.valid) {
  console.log(JSON.stringify(result.errors, null, 1));
  process.exit(1);
}
console.log(`valid (OpenAPI ${validator.version}, ${Object.keys(doc.paths).length} paths)`);
