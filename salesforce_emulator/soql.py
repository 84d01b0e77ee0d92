"""The SOQL subset a sync needs: SELECT fields FROM object [WHERE ...] [ORDER BY] [LIMIT] [OFFSET].

WHERE supports =, !=, <>, <, <=, >, >=, [NOT] IN (...), LIKE, AND, OR, NOT and parentheses.
String comparison is case-insensitive, as in Salesforce. A conjunct ``field IN (...)`` or
``field = literal`` is served from a per-field case-folded index instead of a scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .store import Table, index_key

MAX_SOQL_LENGTH = 100_000


class QueryError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass
class Tok:
    kind: str
    value: object
    text: str
    pos: int


def tokenize(q: str) -> list[Tok]:
    out, pos = [], 0
    while pos < len(q):
        m = _TOKEN_RE.match(q, pos)
        if not m:
            raise _malformed(q, pos, q[pos : pos + 10].split()[0] if q[pos:].strip() else "<EOF>")
        kind = m.lastgroup
        text = m.group()
        if kind != "ws":
            if kind == "str":
                value = re.sub(
                    r"\\(.)", lambda mm: _ESCAPES.get(mm.group(1), "\\" + mm.group(1)), text[1:-1]
                )
            elif kind == "num":
                value = float(text)
            else:
                value = text
            out.append(Tok(kind, value, text, pos))
        pos = m.end()
    out.append(Tok("eof", None, "<EOF>", len(q)))
    return out


def _malformed(q: str, pos: int, token: str) -> QueryError:
    line = q if len(q) <= 200 else q[max(0, pos - 100) : pos + 100]
    caret_pos = pos if len(q) <= 200 else min(pos, 100)
    return QueryError(
        "MALFORMED_QUERY",
        f"\n{line}\n{' ' * caret_pos}^\nERROR at Row:1:Column:{pos + 1}\nunexpected token: {token}",
    )


@dataclass
class Cond:
    field: str
    op: str
    values: list
    negate: bool = False


@dataclass
class BoolOp:
    op: str  # AND / OR / NOT
    items: list


@dataclass
class Query:
    sobject: str
    fields: list[str]
    count: bool = False
    where: object = None
    order_by: list = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


class Parser:
    def __init__(self, q: str):
        self.q = q
        self.toks = tokenize(q)
        self.i = 0

    def peek(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def kw(self, word: str) -> bool:
        t = self.peek()
        if t.kind == "ident" and t.value.upper() == word:
            self.i += 1
            return True
        return False

    def expect_kw(self, word: str):
        if not self.kw(word):
            self.fail()

    def expect(self, text: str):
        t = self.next()
        if t.text != text:
            self.i -= 1
            self.fail()

    def fail(self):
        t = self.peek()
        raise _malformed(self.q, t.pos, t.text)

    def parse(self) -> Query:
        self.expect_kw("SELECT")
        fields, count = [], False
        t = self.peek()
        if t.kind == "ident" and t.value.upper() == "COUNT" and self.toks[self.i + 1].text == "(":
            self.i += 2
            self.expect(")")
            count = True
        else:
            while True:
                t = self.next()
                if t.kind != "ident" or t.value.upper() in ("FROM", "WHERE"):
                    self.i -= 1
                    self.fail()
                fields.append(t)
                if self.peek().text == ",":
                    self.i += 1
                    continue
                break
        self.expect_kw("FROM")
        t = self.next()
        if t.kind != "ident":
            self.i -= 1
            self.fail()
        query = Query(sobject=t.value, fields=fields, count=count)
        query.sobject_tok = t
        if self.kw("WHERE"):
            query.where = self.or_expr()
        if self.kw("ORDER"):
            self.expect_kw("BY")
            while True:
                f = self.next()
                if f.kind != "ident":
                    self.i -= 1
                    self.fail()
                desc = False
                if self.kw("DESC"):
                    desc = True
                else:
                    self.kw("ASC")
                if self.kw("NULLS"):
                    if not (self.kw("FIRST") or self.kw("LAST")):
                        self.fail()
                query.order_by.append((f, desc))
                if self.peek().text == ",":
                    self.i += 1
                    continue
                break
        if self.kw("LIMIT"):
            t = self.next()
            if t.kind != "num":
                self.i -= 1
                self.fail()
            query.limit = int(t.value)
        if self.kw("OFFSET"):
            t = self.next()
            if t.kind != "num":
                self.i -= 1
                self.fail()
            query.offset = int(t.value)
        if self.peek().kind != "eof":
            self.fail()
        return query

    def or_expr(self):
        items = [self.and_expr()]
        while self.kw("OR"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("OR", items)

    def and_expr(self):
        items = [self.not_expr()]
        while self.kw("AND"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("AND", items)

    def not_expr(self):
        if self.kw("NOT"):
            return BoolOp("NOT", [self.not_expr()])
        if self.peek().text == "(":
            self.i += 1
            e = self.or_expr()
            self.expect(")")
            return e
        return self.condition()

    def literal(self):
        t = self.next()
        if t.kind in ("str", "num", "date", "datetime"):
            return t.value
        if t.kind == "ident" and t.value.lower() in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[t.value.lower()]
        self.i -= 1
        self.fail()

    def condition(self) -> Cond:
        f = self.next()
        if f.kind != "ident":
            self.i -= 1
            self.fail()
        negate = False
        if self.kw("NOT"):
            negate = True
            if not self.kw("IN"):
                self.fail()
            op = "IN"
        elif self.kw("IN"):
            op = "IN"
        elif self.kw("LIKE"):
            op = "LIKE"
        else:
            t = self.next()
            if t.kind != "op":
                self.i -= 1
                self.fail()
            op = "!=" if t.value == "<>" else t.value
        if op == "IN":
            self.expect("(")
            values = [self.literal()]
            while self.peek().text == ",":
                self.i += 1
                values.append(self.literal())
            self.expect(")")
        else:
            values = [self.literal()]
        return Cond(f, op, values, negate)


def parse(q: str) -> Query:
    if len(q) > MAX_SOQL_LENGTH:
        raise QueryError(
            "MALFORMED_QUERY",
            f"SOQL statements cannot be longer than {MAX_SOQL_LENGTH} characters.",
        )
    return Parser(q).parse()


def _invalid_field(q: str, tok: Tok, sobject: str) -> QueryError:
    return QueryError(
        "INVALID_FIELD",
        f"\n{q[:200]}\n{' ' * min(tok.pos, 200)}^\nERROR at Row:1:Column:{tok.pos + 1}\n"
        f"No such column '{tok.value}' on entity '{sobject}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name. Please "
        "reference your WSDL or the describe call for the appropriate names.",
    )


def invalid_type(q: str, tok: Tok) -> QueryError:
    return QueryError(
        "INVALID_TYPE",
        f"\n{q[:200]}\n{' ' * min(tok.pos, 200)}^\nERROR at Row:1:Column:{tok.pos + 1}\n"
        f"sObject type '{tok.value}' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name. Please reference your WSDL "
        "or the describe call for the appropriate names.",
    )


def _field(table: Table, q: str, tok: Tok) -> str:
    name = tok.value
    if "." in name:
        head, _, rest = name.partition(".")
        if head.lower() == table.name.lower():
            name = rest
    canonical = table.lower.get(name.lower())
    if canonical is None or not table.visible(canonical):
        raise _invalid_field(q, tok, table.name)
    return canonical


def _cmp_value(ftype: str, v):
    if v is None:
        return None
    if isinstance(v, str):
        return v.casefold()
    return v


def _matcher(table: Table, q: str, node):
    if isinstance(node, BoolOp):
        subs = [_matcher(table, q, n) for n in node.items]
        if node.op == "AND":
            return lambda row: all(s(row) for s in subs)
        if node.op == "OR":
            return lambda row: any(s(row) for s in subs)
        return lambda row: not subs[0](row)
    name = _field(table, q, node.field)
    node.canonical = name
    get = table.get
    op = node.op
    if op == "IN":
        keys = {index_key(v) for v in node.values if v is not None}
        has_null = any(v is None for v in node.values)

        def m_in(row):
            v = get(row, name)
            hit = (v is None and has_null) or (v is not None and index_key(v) in keys)
            return hit != node.negate

        return m_in
    lit = node.values[0]
    if op in ("=", "!="):
        key = None if lit is None else index_key(lit)

        def m_eq(row):
            v = get(row, name)
            hit = (v is None) if key is None else (v is not None and index_key(v) == key)
            return hit if op == "=" else not hit

        return m_eq
    if op == "LIKE":
        pattern = re.compile(
            "^"
            + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(lit))
            + "$",
            re.IGNORECASE | re.DOTALL,
        )
        return lambda row: (v := get(row, name)) is not None and bool(pattern.match(str(v)))
    litc = _cmp_value("", lit)

    def m_cmp(row):
        v = _cmp_value("", get(row, name))
        if v is None or litc is None:
            return False
        try:
            if op == "<":
                return v < litc
            if op == "<=":
                return v <= litc
            if op == ">":
                return v > litc
            return v >= litc
        except TypeError:
            return False

    return m_cmp


def _candidates(table: Table, node):
    """Rows from an index for an indexable conjunct, or None for a full scan."""
    conjuncts = node.items if isinstance(node, BoolOp) and node.op == "AND" else [node]
    for c in conjuncts:
        if not isinstance(c, Cond) or c.negate or c.op not in ("IN", "="):
            continue
        if any(v is None for v in c.values):
            continue
        name = c.canonical
        if name == "Id":
            rows = []
            for v in c.values:
                r = table.parse_id(v) if isinstance(v, str) else None
                if r is not None and table.exists(r) and r not in table.deleted:
                    rows.append(r)
            return sorted(set(rows))
        if name not in table.cols:
            # never set: only computed/default values; fall back to a scan
            continue
        idx = table.index(name)
        rows = set()
        for v in c.values:
            hit = idx.get(index_key(v))
            if hit is None:
                continue
            if isinstance(hit, list):
                rows.update(hit)
            else:
                rows.add(hit)
        return sorted(rows)
    return None


def execute(org, q: str):
    """Run a query against ``org``; returns (table, field names, matching rows, count_only)."""
    query = parse(q)
    table = org.table(query.sobject)
    if table is None:
        raise invalid_type(q, query.sobject_tok)
    fields = [_field(table, q, t) for t in query.fields]
    if not query.count and not fields:
        raise _malformed(q, 0, "SELECT")
    with org.lock:
        matcher = _matcher(table, q, query.where) if query.where is not None else None
        rows = _candidates(table, query.where) if query.where is not None else None
        if rows is None:
            rows = table.live_rows()
        if matcher is not None:
            rows = [r for r in rows if matcher(r)]
        else:
            rows = list(rows)
        if query.order_by:
            for tok, desc in reversed(query.order_by):
                name = _field(table, q, tok)
                rows.sort(
                    key=lambda r, n=name: (table.get(r, n) is None, _sort_key(table.get(r, n))),
                    reverse=desc,
                )
        if query.offset:
            rows = rows[query.offset :]
        if query.limit is not None:
            rows = rows[: query.limit]
    return table, fields, rows, query.count


def _sort_key(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v.casefold()
    return v
