#!/usr/bin/env python3
"""Messages built from a peer's WSDL contract, not from our tables.

  wsdl_gen.py gen WSDL_DIR OUT_DIR   for every operation of every WSDL: one request (input message) and one
                                     result (output message) as SOAP 1.1 rpc/literal envelopes, as a JAX-WS
                                     client/server of that WSDL writes them, with a distinct value in every
                                     element; the schemas of each WSDL (its <types> plus the rpc wrappers
                                     the binding implies) for xmllint; OUT_DIR/manifest.txt lists them.
  wsdl_gen.py same A A.out ...       gsma goldens: every (path, value) of A is in our re-encoding A.out
  wsdl_gen.py check OUT_DIR          after the C side wrote <file>.out.xml (decoded and re-encoded in the
                                     njiwa dialect) and <file>.ack.xml (our answer to a callback): every
                                     (path, value) of the generated Body and header arrived, and each
                                     .out.xml and .ack.xml validates against its WSDL's schemas (xmllint).
Standard library only. The values are typed from the schema alone: xs:string gets upper-case hex text
(valid as a string and as the hexBinary our types use), integers distinct numbers, xs:anySimpleType a
dateTime, enumerations their values in turn, unbounded elements two items. One hint table names the few
xs:string parts whose value njiwa's code always writes in a fixed form (ECCKeyLength "ECC-<bits>")."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

WSDL = '{http://schemas.xmlsoap.org/wsdl/}'
SOAPB = '{http://schemas.xmlsoap.org/wsdl/soap/}'
XS = 'http://www.w3.org/2001/XMLSchema'
X = '{' + XS + '}'
SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/'
WSAM = 'http://www.w3.org/2007/05/addressing/metadata'
TNS = 'http://namespaces.gsma.org/esim-messaging/1'
DSIG = 'http://www.w3.org/2000/09/xmldsig#'
ARRAY = 'http://jaxb.dev.java.net/array'
WSAM_ATTR = '{' + WSAM + '}Action'

# xs:string elements whose value the peer's code writes in one form: ES7 "ECC-256"; a key set's Version
# is its KVN (a number); the EIS dates are dateTimes in a string.
DATE = lambda k: '2023-%02d-%02dT08:%02d:00Z' % (1 + k % 12, 1 + k % 28, k % 60)
HINTS = {'ECCKeyLength': lambda k: ['ECC-256', 'ECC-384', 'ECC-521'][k % 3],
         'Version': lambda k: str(k),
         'lastAuditDate': DATE,
         'ProductionDate': DATE}
# What we do not map yet, and must refuse by name rather than half-read: (schema type, name in the error).
GAPS = []

SOAP11_XSD = '''<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="%s" elementFormDefault="qualified">
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
''' % SOAP11


def qsplit(q, nsmap):
    p, _, l = q.rpartition(':')
    return nsmap.get(p, ''), l


class Contract:
    """One WSDL: its schemas (by namespace), messages, operations."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        text = open(path, encoding='utf-8').read()
        self.root = ET.fromstring(text)
        # prefixes as declared on each element: ElementTree drops them, so read them from the text
        defs = re.search(r'<wsdl:definitions\b[^>]*>', text).group(0)
        self.nsmap = dict(re.findall(r'xmlns:(\w+)="([^"]+)"', defs))
        self.nsmap['xsd'] = XS
        self.nsmap['xs'] = XS
        self.schemas = {}
        for s in self.root.iter(X + 'schema'):
            self.schemas[s.get('targetNamespace')] = s
        self.types = {}     # (ns, name) -> complexType / simpleType
        self.elements = {}  # (ns, name) -> element
        for ns, s in self.schemas.items():
            for c in s:
                if c.tag in (X + 'complexType', X + 'simpleType'):
                    self.types[(ns, c.get('name'))] = c
                elif c.tag == X + 'element':
                    self.elements[(ns, c.get('name'))] = c
        self.messages = {m.get('name'): m for m in self.root.findall(WSDL + 'message')}
        self.binding = {o.get('name'): o for o in self.root.find(WSDL + 'binding').findall(WSDL + 'operation')}
        self.ops = self.root.find(WSDL + 'portType').findall(WSDL + 'operation')

    def qname(self, q, schema_ns=None):
        """A QName attribute value to (ns, local). Schema prefixes: the schema element's own xmlns."""
        p, _, l = q.rpartition(':')
        if schema_ns is not None:
            decl = self.schema_prefixes.get(schema_ns, {})
            if p in decl:
                return decl[p], l
        return self.nsmap.get(p, ''), l

    def parts(self, msg_name, body_parts):
        """(header parts, body parts) of a message; body parts in the binding's order."""
        m = self.messages[msg_name.split(':')[-1]]
        parts = [(p.get('name'), p.get('type'), p.get('element')) for p in m.findall(WSDL + 'part')]
        hdr = [p for p in parts if p[2]]
        body = [p for p in parts if p[1]]
        if body_parts:
            named = {p[0]: p for p in body}
            order = body_parts.split()
            if all(n in named for n in order):
                body = [named[n] for n in order]
        return hdr, body


def schema_prefixes(text):
    """For each <xs:schema ...> opening tag in the WSDL text: its targetNamespace and prefix map."""
    out = {}
    for tag in re.findall(r'<xs:schema\b[^>]*>', text):
        tn = re.search(r'targetNamespace="([^"]+)"', tag)
        if tn:
            out[tn.group(1)] = dict(re.findall(r'xmlns:(\w+)="([^"]+)"', tag))
            d = re.search(r'\sxmlns="([^"]+)"', tag)
            if d:
                out[tn.group(1)][''] = d.group(1)
    return out


class Gen:
    def __init__(self, c):
        self.c = c
        self.n = 0
        self.values = []  # (path, value)

    def next(self):
        self.n += 1
        return self.n

    def leaf(self, ns, typ, name, path):
        if ns == XS:
            if typ == 'string':
                v = HINTS[name](self.next()) if name in HINTS else '0A%04X' % self.next()
            elif typ in ('long', 'int', 'short', 'integer'):
                v = str(1000 + self.next())
            elif typ == 'byte':
                v = str(1 + self.next() % 100)
            elif typ == 'boolean':
                v = 'true' if self.next() % 2 else 'false'
            elif typ == 'anySimpleType':
                k = self.next()
                v = '2024-%02d-%02dT10:%02d:%02dZ' % (1 + k % 12, 1 + k % 28, k % 60, (k * 7) % 60)
            elif typ == 'base64Binary':
                v = 'QUJD%04d' % self.next()
            else:
                raise ValueError('type xs:%s at %s' % (typ, path))
        else:
            st = self.c.types[(ns, typ)]
            enums = [e.get('value') for e in st.iter(X + 'enumeration')]
            v = enums[self.next() % len(enums)]
        self.values.append((path, v))
        return v

    def typed(self, parent, ns, typ, name, path, schema_ns):
        """Fills `parent` (an element) with content of type (ns, typ)."""
        if ns == XS or self.c.types[(ns, typ)].tag == X + 'simpleType':
            parent.text = self.leaf(ns, typ, name, path)
            return
        ct = self.c.types[(ns, typ)]
        ext = ct.find('.//' + X + 'extension')
        if ext is not None:
            bns, btyp = self.c.qname(ext.get('base'), ns)
            self.typed(parent, bns, btyp, name, path, ns)
        seq = ext.find(X + 'sequence') if ext is not None else ct.find(X + 'sequence')
        for a in ct.iter(X + 'attribute'):
            v = '0A%04X' % self.next()
            parent.set(a.get('name'), v)
            self.values.append((path + '/@' + a.get('name'), v))
        if seq is None:
            return
        for e in seq:
            if e.tag == X + 'any':
                continue
            if e.get('ref'):
                rns, rname = self.c.qname(e.get('ref'), ns)
                decl = self.c.elements[(rns, rname)]
                tns_, t = self.c.qname(decl.get('type'), rns)
                child = ET.SubElement(parent, '{%s}%s' % (rns, rname))
                self.typed(child, tns_, t, rname, path + '/' + rname, rns)
                continue
            count = 2 if e.get('maxOccurs') == 'unbounded' else 1
            tns_, t = self.c.qname(e.get('type'), ns)
            for _ in range(count):
                child = ET.SubElement(parent, e.get('name'))
                self.typed(child, tns_, t, e.get('name'), path + '/' + e.get('name'), ns)


def envelope(c, g, headers, wrapper, body, action):
    ET.register_namespace('S', SOAP11)
    ET.register_namespace('wsam', WSAM)
    ET.register_namespace('es', TNS)
    ET.register_namespace('ds', DSIG)
    env = ET.Element('{%s}Envelope' % SOAP11)
    hdr = ET.SubElement(env, '{%s}Header' % SOAP11)
    for pname, _, elem in headers:
        ens, ename = c.qname(elem)
        h = ET.SubElement(hdr, '{%s}%s' % (ens, ename))
        if ename == 'Action':
            h.text = action
        elif ename in ('From', 'ReplyTo'):
            a = ET.SubElement(h, 'Address')
            a.text = 'http://peer.example/%s/%04d' % (ename, g.next())
            g.values.append(('Header/%s/Address' % ename, a.text))
        else:
            h.text = 'urn:uuid:00000000-0000-4000-8000-%012d' % g.next()
            g.values.append(('Header/%s' % ename.lower(), h.text))
    b = ET.SubElement(env, '{%s}Body' % SOAP11)
    w = ET.SubElement(b, '{%s}%s' % (TNS, wrapper))
    for pname, ptype, _ in body:
        ns, t = c.qname(ptype)
        if ns == ARRAY:  # JAXB stringArray: <part><item/>...</part>
            p = ET.SubElement(w, pname)
            for _ in range(2):
                it = ET.SubElement(p, 'item')
                it.text = '0A%04X' % g.next()
                g.values.append(('Body/%s/item' % pname, it.text))
            continue
        p = ET.SubElement(w, pname)
        g.typed(p, ns, t, pname, 'Body/' + pname, None)
    return ET.tostring(env, encoding='unicode')


def wrapper_schema(c, wrappers):
    """The rpc wrapper elements the binding implies, as xs declarations in the service namespace."""
    out = []
    for name, parts in sorted(wrappers.items()):
        seqs = []
        for body in parts:
            els = []
            for pname, ptype, _ in body:
                ns, t = c.qname(ptype)
                pref = {XS: 'xs', TNS: 'tns', ARRAY: 'arr'}[ns]
                els.append('<xs:element name="%s" type="%s:%s" minOccurs="0"/>' % (pname, pref, t))
            seqs.append('<xs:sequence>%s</xs:sequence>' % ''.join(els))
        inner = seqs[0] if len(seqs) == 1 else '<xs:choice>%s</xs:choice>' % ''.join(seqs)
        out.append('<xs:element name="%s"><xs:complexType>%s</xs:complexType></xs:element>' % (name, inner))
    return '\n'.join(out)


def write_schemas(c, text, outdir, wrappers):
    """The WSDL's xs:schema blocks as files (imports given locations), the rpc wrappers added to the
    service namespace, a SOAP 1.1 envelope, and main.xsd importing them all."""
    files = {WSAM: 'wsam.xsd', DSIG: 'dsig.xsd', TNS: 'tns.xsd', ARRAY: 'array.xsd'}
    blocks = re.findall(r'<xs:schema\b.*?</xs:schema>', text, re.S)
    for blk in blocks:
        tn = re.search(r'targetNamespace="([^"]+)"', blk.split('>', 1)[0]).group(1)
        for ns, fn in files.items():
            blk = blk.replace('<xs:import namespace="%s"/>' % ns, '<xs:import namespace="%s" schemaLocation="%s"/>' % (ns, fn))
        if tn == TNS:
            head, rest = blk.split('>', 1)
            if 'xmlns:arr=' not in head:
                head += ' xmlns:arr="%s"' % ARRAY
            rest = '<xs:import namespace="%s" schemaLocation="array.xsd"/>' % ARRAY + rest if ARRAY in files and \
                any(ARRAY in b for b in blocks) else rest
            blk = head + '>' + rest
            blk = blk.replace('</xs:schema>', wrapper_schema(c, wrappers) + '\n</xs:schema>')
        open(os.path.join(outdir, files[tn]), 'w').write('<?xml version="1.0"?>\n' + blk)
    open(os.path.join(outdir, 'soap11.xsd'), 'w').write(SOAP11_XSD)
    imports = ''.join('<xs:import namespace="%s" schemaLocation="%s"/>' % (ns, fn)
                      for ns, fn in [(SOAP11, 'soap11.xsd')] + list(files.items())
                      if os.path.exists(os.path.join(outdir, fn)))
    open(os.path.join(outdir, 'main.xsd'), 'w').write(
        '<?xml version="1.0"?>\n<xs:schema xmlns:xs="%s">%s</xs:schema>\n' % (XS, imports))


def uses_gap(c, body):
    for _, ptype, _ in body:
        for q, name in GAPS:
            if ptype == q or reaches(c, c.qname(ptype), c.qname(q), set()):
                return name
    return None


def reaches(c, t, target, seen):
    if t == target:
        return True
    if t in seen or t not in c.types:
        return False
    seen.add(t)
    for e in c.types[t].iter():
        for attr in ('type', 'base'):
            if e.get(attr) and reaches(c, c.qname(e.get(attr), t[0]), target, seen):
                return True
    return False


def gen(wsdl_dir, out):
    manifest = []
    for fn in sorted(os.listdir(wsdl_dir)):
        if not fn.endswith('.wsdl'):
            continue
        path = os.path.join(wsdl_dir, fn)
        text = open(path, encoding='utf-8').read()
        c = Contract(path)
        c.schema_prefixes = schema_prefixes(text)
        d = os.path.join(out, c.name)
        os.makedirs(d, exist_ok=True)
        wrappers = {}
        for op in c.ops:
            name = op.get('name')
            bop = c.binding[name]
            soap_action = bop.find(SOAPB + 'operation').get('soapAction')
            for kind, io in (('req', 'input'), ('res', 'output')):
                el = op.find(WSDL + io)
                if el is None:
                    continue
                hdr, body = c.parts(el.get('message'), bop.find(WSDL + io).find(SOAPB + 'body').get('parts'))
                wrapper = name if kind == 'req' else name + 'Response'
                wrappers.setdefault(wrapper, [])
                if body not in wrappers[wrapper]:
                    wrappers[wrapper].append(body)
                if kind == 'res' and name.endswith('Response'):
                    continue  # the acknowledgement of a callback (ES3Resp, ES7 *Response): not an ES message
                action = el.get(WSAM_ATTR) or soap_action
                g = Gen(c)
                xml = envelope(c, g, hdr, wrapper, body, action)
                base = '%s.%s' % (name, kind)
                open(os.path.join(d, base + '.xml'), 'w').write('<?xml version="1.0" encoding="UTF-8"?>' + xml)
                with open(os.path.join(d, base + '.values'), 'w') as f:
                    for p, v in g.values:
                        f.write('%s\t%s\n' % (p, v))
                gap = uses_gap(c, body)
                manifest.append('%s/%s.xml\t%s\t%s' % (c.name, base, action, 'refuse:' + gap if gap else 'ok'))
        write_schemas(c, text, d, wrappers)
    open(os.path.join(out, 'manifest.txt'), 'w').write('\n'.join(manifest) + '\n')
    print('generated %d messages' % len(manifest))


def norm(s):
    """Spelling the gsma decoder is lenient about: case, '-'/'_', white space (hexBinary may be spaced),
    the two lexical forms of xs:boolean."""
    s = re.sub(r'[-_\s]', '', s).lower()
    return {'1': 'true', '0': 'false'}.get(s, s)


def same(pairs):
    """gsma goldens: every (path, value) of a golden envelope is in our re-encoding of it, compared
    under the spellings the decoder accepts as equal."""
    bad = 0
    for src, dst in pairs:
        want = [(norm(p), norm(v)) for p, v in leaves(open(src, encoding='utf-8').read())]
        got = [(norm(p), norm(v)) for p, v in leaves(open(dst, encoding='utf-8').read())]
        lost = [pv for pv in want if pv not in got]
        if lost:
            print('LOST %s: %s' % (os.path.basename(src), lost[:6]))
            bad += 1
    return 1 if bad else 0


def leaves(xml):
    """(path, value) of every leaf of Body (below the wrapper, and below a <return> or
    <FunctionExecutionStatus> result part) and every WS-A header; header names compared in lower case."""
    root = ET.fromstring(xml)
    out = []
    for hdr in [e for e in root if e.tag.endswith('}Header')]:
        for h in hdr:
            ln = h.tag.split('}')[-1]
            if ln == 'Action':
                continue
            if len(h):
                for a in h:
                    out.append(('Header/%s/%s' % (ln, a.tag.split('}')[-1]), (a.text or '').strip()))
            else:
                out.append(('Header/%s' % ln.lower(), (h.text or '').strip()))
    body = [e for e in root if e.tag.endswith('}Body')][0]
    wrapper = body[0]

    def walk(e, path):
        for k, v in e.attrib.items():
            out.append((path + '/@' + k, v))
        if len(e) == 0:
            out.append((path, (e.text or '').strip()))
        for ch in e:
            walk(ch, path + '/' + ch.tag.split('}')[-1])
    for ch in wrapper:
        walk(ch, 'Body/' + ch.tag.split('}')[-1])
    return sorted(out)


def check(out):
    bad = 0
    checked = 0
    by_schema = {}
    for line in open(os.path.join(out, 'manifest.txt')):
        if not line.strip():
            continue
        rel, action, expect = line.rstrip('\n').split('\t')
        if expect != 'ok':
            continue
        src = os.path.join(out, rel)
        dst = src[:-4] + '.out.xml'
        if not os.path.exists(dst):
            print('MISSING %s' % dst)
            bad += 1
            continue
        want = sorted((p, v) for p, v in (l.rstrip('\n').split('\t') for l in open(src[:-4] + '.values')))
        got = leaves(open(dst, encoding='utf-8').read())
        got_h = [(p.lower() if p.startswith('Header/') else p, v) for p, v in got]
        missing = [pv for pv in want if (pv[0].lower() if pv[0].startswith('Header/') else pv[0], pv[1]) not in got_h]
        if missing:
            print('LOST %s: %s' % (rel, missing[:6]))
            bad += 1
        by_schema.setdefault(os.path.join(os.path.dirname(src), 'main.xsd'), []).append(dst)
        checked += 1
    for d in sorted(os.listdir(out)):  # what our endpoint answered: requests and callbacks
        full = os.path.join(out, d)
        if os.path.isdir(full):
            acks = sorted(os.path.join(full, f) for f in os.listdir(full)
                          if f.endswith('.ack.xml') or f.endswith('.answer.xml'))
            by_schema.setdefault(os.path.join(full, 'main.xsd'), []).extend(acks)
            checked += len(acks)
    for schema, files in sorted(by_schema.items()):  # one xmllint per WSDL
        r = subprocess.run(['xmllint', '--noout', '--schema', schema] + files, capture_output=True, text=True)
        ok = r.stderr.count(' validates')
        if r.returncode != 0 or ok != len(files):
            print('INVALID under %s:\n%s' % (schema, r.stderr.strip()[:1500]))
            bad += 1
    print('checked %d messages, %d problems' % (checked, bad))
    return 1 if bad or not checked else 0


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'gen':
        gen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and len(sys.argv) % 2 == 0 and sys.argv[1] == 'same':
        sys.exit(same(zip(sys.argv[2::2], sys.argv[3::2])))
    elif len(sys.argv) == 3 and sys.argv[1] == 'check':
        sys.exit(check(sys.argv[2]))
    else:
        sys.exit(__doc__)
