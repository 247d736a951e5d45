#!/usr/bin/env python3
"""An outside check of our XML-DSig EumSignature: Python's own C14N (xml.etree canonicalize, C14N 2.0,
which equals exclusive C14N 1.0 for these namespace-plain subtrees) and python3-cryptography's ECDSA,
no code of ours. Usage: dsig_check.py SIGNED.xml PUBLIC.pem -> exit 0 valid, 1 invalid, 77 no library."""
import base64
import hashlib
import sys
import xml.etree.ElementTree as ET

DS = '{http://www.w3.org/2000/09/xmldsig#}'
try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    from cryptography.exceptions import InvalidSignature
except ImportError:
    sys.exit(77)


def canon(elem):
    ET.register_namespace('ds', DS[1:-1])
    return ET.canonicalize(ET.tostring(elem, encoding='unicode')).encode()


root = ET.parse(sys.argv[1]).getroot()
eis = next(e for e in root.iter() if e.tag.split('}')[-1] == 'Eis')
esi = next(e for e in eis if e.tag.split('}')[-1] == 'EumSignedInfo')
sig = eis.find(DS + 'Signature')
si = sig.find(DS + 'SignedInfo')
digest = base64.b64decode(si.find(DS + 'Reference').find(DS + 'DigestValue').text)
if hashlib.sha256(canon(esi)).digest() != digest:
    print('digest mismatch')
    sys.exit(1)
raw = base64.b64decode(sig.find(DS + 'SignatureValue').text)
r, s = int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:], 'big')
key = serialization.load_pem_public_key(open(sys.argv[2], 'rb').read())
try:
    key.verify(encode_dss_signature(r, s), canon(si), ec.ECDSA(hashes.SHA256()))
except InvalidSignature:
    print('signature invalid')
    sys.exit(1)
print('valid')
