#!/usr/bin/env python3
"""pol1_package.py PACKAGE OUT POL1: writes PACKAGE (a SAIP DER) to OUT with POL1 = the byte POL1 (hex, e.g. 01
or 02): the header PE (A0) gets pol [4] (84 01 POL1) right after its iccid [3] (83). Used by the POL1 tests
(test_smsr_pol.sh, test_smdp_master_delete.sh); exits non-zero when the package already has a POL1."""
import sys

def tl(b, i):  # tag (one byte here), length, start of value
    t = b[i]; n = b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7F; n = int.from_bytes(b[i:i + k], 'big'); i += k
    return t, n, i

def enc_len(n):
    if n < 0x80: return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, 'big'); return bytes([0x80 | len(s)]) + s

d = open(sys.argv[1], 'rb').read()
pol1 = bytes([0x84, 0x01, int(sys.argv[3], 16)])
t, n, v = tl(d, 0)
assert t == 0xA0, "first PE is not the header"
body = d[v:v + n]; out = b''; i = 0; done = False
while i < len(body):
    tt, nn, vv = tl(body, i)
    assert tt != 0x84, "the package has a POL1 already"
    out += body[i:vv + nn]; i = vv + nn
    if tt == 0x83: out += pol1; done = True
assert done
open(sys.argv[2], 'wb').write(b'\xA0' + enc_len(len(out)) + out + d[v + n:])
