#!/bin/sh
# `rsp smdpp ac qr`: the activation code as a QR code. The PNG is read back by Python's zlib and
# binascii.crc32 (outside readers of the container: every chunk CRC, the zlib stream, the size) and
# its modules are compared with the matrix of the `qrencode` tool (Debian package qrencode, the same
# library's CLI, as the outside encoder: byte mode, level M, margin 4); the terminal form has the same
# modules. A bad code exits 2. Skipped (exit 0 with a note) when rsp was built without libqrencode.
BIN=${RSP_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fail=1; }

CODE='LPA:1$smdp.example.com$04386-AGYFT-A74Y8-3F815$$1'
if ! "$BIN" smdpp ac qr "$CODE" >"$tmp/term" 2>"$tmp/err"; then
  grep -q "without libqrencode" "$tmp/err" && { echo "ok - skipped: rsp built without libqrencode"; exit 0; }
  bad "qr: $(cat "$tmp/err")"
  exit 1
fi
"$BIN" smdpp ac qr "$CODE" --png "$tmp/qr.png" --scale 3 || bad "png"
python3 - "$tmp/qr.png" "$tmp/term" >"$tmp/png.txt" <<'EOF' || bad "PNG read back: $(cat "$tmp/png.txt")"
import binascii, struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
pos, chunks = 8, {}
while pos < len(data):
    n, = struct.unpack('>I', data[pos:pos + 4])
    typ, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
    crc, = struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])
    assert binascii.crc32(typ + body) & 0xffffffff == crc, 'crc of %r' % typ
    chunks[typ] = chunks.get(typ, b'') + body
    pos += 12 + n
w, h, depth, ctype = struct.unpack('>IIBB', chunks[b'IHDR'][:10])
assert (depth, ctype) == (8, 0) and w == h and w % 3 == 0, 'IHDR'
raw = zlib.decompress(chunks[b'IDAT'])
assert len(raw) == h * (w + 1), 'size'
n = w // 3
rows = []
for y in range(n):
    line = raw[(3 * y) * (w + 1) + 1:(3 * y + 1) * (w + 1)]
    rows.append(''.join('#' if line[3 * x] == 0 else ' ' for x in range(n)))
# the terminal form: two rows a cell, light modules printed
term = open(sys.argv[2], encoding='utf-8').read().split('\n')
for y in range(0, n, 2):
    for x in range(n):
        top = rows[y][x] == ' '
        bot = y + 1 < n and rows[y + 1][x] == ' '
        want = '\u2588' if top and bot else '\u2580' if top else '\u2584' if bot else ' '
        assert term[y // 2][x] == want, 'terminal cell %d,%d' % (x, y)
print('\n'.join(rows))
EOF
[ $fail = 0 ] && ok "PNG: chunks, CRCs, zlib, size read back by Python; terminal form has the same modules"
if command -v qrencode >/dev/null; then
  qrencode -t ASCII -l M -8 -m 4 "$CODE" | sed 's/##/#/g; s/  / /g' | sed 's/ *$//' >"$tmp/ref.txt"
  sed 's/ *$//' "$tmp/png.txt" >"$tmp/ours.txt"
  cmp -s "$tmp/ref.txt" "$tmp/ours.txt" && ok "modules equal the qrencode tool's (byte mode, level M)" \
    || bad "modules differ from qrencode's: $(diff "$tmp/ref.txt" "$tmp/ours.txt" | head -5)"
else
  echo "ok - qrencode tool absent: module comparison skipped (scripts/setup installs it)"
fi
"$BIN" smdpp ac qr 'LPA:1$a' >/dev/null 2>&1
[ $? = 2 ] && ok "a malformed code exits 2" || bad "malformed code"
exit $fail
