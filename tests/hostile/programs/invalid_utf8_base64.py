# Writes NUL, bytes that are never UTF-8 (0xff, 0xfe), an overlong encoding, a lone
# continuation byte and a truncated sequence on stdout, asking for base64 output.
# Attacks: binary output: with "encoding": "base64" every byte must come back exactly,
# nothing replaced and nothing cut at a NUL.
# Sandbox should: return the 11 bytes unchanged (the test decodes the base64).
# limits: cpu_ms=1000 wall_ms=3000
# request: encoding=base64
# expect: status=ok
# expect: stdout-equals=\0\xff\xfe\xc0\xaf\x80A\xe2\x82\n\0
# expect: stdout-bytes=11
import sys

sys.stdout.buffer.write(b"\0\xff\xfe\xc0\xaf\x80A\xe2\x82\n\0")
