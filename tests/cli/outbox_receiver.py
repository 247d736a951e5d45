#!/usr/bin/env python3
"""A callback endpoint of the test only (an Operator's / M2M SP's server): HTTPS with mutual TLS on
127.0.0.1, every POST recorded as one JSON line (path, client CN, Content-Type, SOAPAction, body) in
LOG and answered 200 with an empty body. Standard library only.

  outbox_receiver.py --port P --cert PEM --key PEM --ca PEM --log FILE [--body-dir DIR]

--port 0 picks a port; the bound port is printed on the first line of stdout. --body-dir keeps each
body as DIR/<n>.xml (for xmllint)."""
import argparse
import http.server
import json
import os
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--ca', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--body-dir')
    a = ap.parse_args()
    count = [0]

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def do_POST(self):
            n = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(n) if n else b''
            cert = self.connection.getpeercert() or {}
            cn = ''
            for rdn in cert.get('subject', ()):
                for k, v in rdn:
                    if k == 'commonName':
                        cn = v
            count[0] += 1
            rec = {'n': count[0], 'path': self.path, 'cn': cn,
                   'ctype': self.headers.get('Content-Type', ''),
                   'action': self.headers.get('SOAPAction', ''),
                   'body': body.decode('utf-8', 'replace')}
            with open(a.log, 'a') as f:
                f.write(json.dumps(rec) + '\n')
            if a.body_dir:
                with open(os.path.join(a.body_dir, '%d.xml' % count[0]), 'wb') as f:
                    f.write(body)
            self.send_response(200)
            self.send_header('Content-Length', '0')
            self.end_headers()

        def log_message(self, *args):
            pass

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.load_verify_locations(a.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: the SM-SR shows its certificate
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', a.port), H)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    sys.exit(main())
