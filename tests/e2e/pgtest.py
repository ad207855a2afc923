"""pgtest.py -- PostgreSQL for the end-to-end tests: a database per test.

Python 3 standard library only; talks to the server with the psql binary
(Debian's postgresql-client-15), every call with a timeout.

The server comes from PETITIOND_TEST_PG, a libpq URL to a database where the
user may CREATE DATABASE (tests/pg/cluster start DIR prints one; .ci/run
exports it). Without it the PostgreSQL tests skip, saying why (skip_reason()).
When the URL came from tests/pg/cluster, PETITIOND_TEST_PG_DIR names its
directory, and stop_server() / start_server() stop PostgreSQL at once (like a
crash) and start it again on the same port.

Contents:
  url()             the server URL, or None
  skip_reason()     why the PostgreSQL tests cannot run here, or None
  create_db(prefix) a new, uniquely named database; its URL
  drop_db(url)      ends its connections and drops it
  with_db(url, db)  url with its database name replaced
  query(url, sql)   rows of tuples of strings (NULL reads as '')
  cluster_dir()     the tests/pg/cluster directory of the server, or None
  stop_server(), start_server()   for "PostgreSQL stops under load"
"""

import os
import re
import secrets
import shutil
import subprocess
import urllib.parse

QUERY_TIMEOUT = 30.0    # seconds, one psql run
CONNECT_TIMEOUT = 5     # seconds, PGCONNECT_TIMEOUT for psql
FIELD_SEP = "\x1f"      # ASCII unit separator: never in test data
CLUSTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pg", "cluster")


class PgError(RuntimeError):
    """psql failed (the server's message is in str(e)) or timed out."""


def url():
    """The server URL from PETITIOND_TEST_PG, or None."""
    return os.environ.get("PETITIOND_TEST_PG") or None


def skip_reason():
    """None when the PostgreSQL tests can run, else why not (for TAP skip)."""
    if url() is None:
        return ("PETITIOND_TEST_PG is not set (a server URL where tests may CREATE DATABASE; "
                "tests/pg/cluster start DIR prints one)")
    if shutil.which("psql") is None:
        return "psql is not installed (apt-get install postgresql-client-15)"
    return None


def with_db(u, dbname):
    """u with its database name replaced (host, port, user, password and
    parameters kept)."""
    p = urllib.parse.urlsplit(u)
    return urllib.parse.urlunsplit((p.scheme, p.netloc, "/" + urllib.parse.quote(dbname),
                                    p.query, p.fragment))


def db_name(u):
    """The database name in URL u ('' when it has none)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(u).path.lstrip("/"))


def _ident(name):
    return '"' + name.replace('"', '""') + '"'


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def _psql(u, sql, timeout, null=""):
    """Runs sql through psql on URL u: the records (lists of strings; a
    NULL printed as null). Raises PgError on an error or after timeout."""
    env = dict(os.environ, PGCONNECT_TIMEOUT=str(CONNECT_TIMEOUT), PGAPPNAME="pgtest")
    argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-P", "null=" + null,
            "-F", FIELD_SEP, "-0", "-d", u, "-f", "-"]
    try:
        r = subprocess.run(argv, input=sql.encode("utf-8"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PgError("psql took more than %g s on %s: %s" % (timeout, db_name(u), sql[:200]))
    if r.returncode != 0:
        raise PgError("psql exit %d on %s: %s" % (r.returncode, db_name(u),
                                                  r.stderr.decode("utf-8", "replace").strip()))
    # -0: every row ends with a NUL (values may hold newlines), across the
    # results of several statements alike.
    return [rec.split(FIELD_SEP) for rec in r.stdout.decode("utf-8").split("\0")[:-1]]


def query(u, sql, timeout=QUERY_TIMEOUT):
    """Runs sql (one or several statements, each in its own transaction
    unless sql says BEGIN) on the database of URL u; returns the rows of every
    statement that returns some, as tuples of strings (NULL: '').
    Raises PgError on an error (the first one stops it) or after timeout."""
    return [tuple(rec) for rec in _psql(u, sql, timeout)]


NULL_MARK = "\x01"


def literal(v):
    """v (None, bool, int, float, str, bytes) as a PostgreSQL literal."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, bytes):
        return "'\\x%s'::bytea" % v.hex()
    return "'" + str(v).replace("'", "''") + "'"


def bind(sql, args):
    """sql with every ? (outside quotes) replaced by the next of args, as a
    literal: the tests' sqlite3-style statements, run through psql."""
    out, i, k, q = [], 0, 0, None
    while i < len(sql):
        c = sql[i]
        if q:
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c == "?":
            out.append(literal(args[k]))
            k += 1
            i += 1
            continue
        out.append(c)
        i += 1
    if k != len(args):
        raise PgError("bind: %d placeholders, %d arguments: %s" % (k, len(args), sql[:120]))
    return "".join(out)


def typed(v):
    """A value psql printed, as sqlite3 would have given it: None for NULL,
    an int for an integer, else the text."""
    if v == NULL_MARK:
        return None
    if v and (v.isdigit() or (v[0] == "-" and v[1:].isdigit())):
        return int(v)
    return v


def rows(u, sql, args=(), timeout=QUERY_TIMEOUT):
    """Runs one statement with sqlite3-style ? parameters; its rows as tuples
    of None / int / str (as sqlite3 gives them)."""
    return [tuple(typed(v) for v in rec)
            for rec in _psql(u, bind(sql, list(args)), timeout, null=NULL_MARK)]


def data_files(u):
    """The bytes of the database's own files (its directory in the server's
    data directory, after a CHECKPOINT wrote every page out): dead row
    versions included, as a seized disk would show them. None when they
    cannot be read from here (another machine, not superuser, not root)."""
    try:
        query(u, "CHECKPOINT")
        ddir, oid = rows(u, "SELECT current_setting('data_directory'), oid"
                            " FROM pg_database WHERE datname = current_database()")[0]
        base = os.path.join(ddir, "base", str(oid))
        out = []
        for name in sorted(os.listdir(base)):
            with open(os.path.join(base, name), "rb") as f:
                out.append(f.read())
        return b"".join(out)
    except (PgError, OSError):
        return None


def create_db(prefix):
    """Creates a database named PREFIX_<pid>_<random> on the server and
    returns its URL. From template0: nobody is ever connected to it, so
    several tests may create databases at once."""
    base = url()
    if base is None:
        raise PgError(skip_reason())
    stem = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] or "t"
    name = "%s_%d_%s" % (stem, os.getpid(), secrets.token_hex(4))
    query(base, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'" % _ident(name))
    return with_db(base, name)


def drop_db(u):
    """Drops the database of URL u, ending its connections first (a petitiond
    still running, or one killed whose backend lingers). Never the server's
    own database nor a template."""
    name = db_name(u)
    base = url() or with_db(u, "postgres")
    if name in ("", "postgres", "template0", "template1", db_name(base)):
        raise PgError("drop_db refuses to drop %r" % name)
    query(base, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid();\n"
                "DROP DATABASE IF EXISTS %s WITH (FORCE);" % (_literal(name), _ident(name)))


def cluster_dir():
    """The tests/pg/cluster directory (PETITIOND_TEST_PG_DIR) when it holds
    the server of PETITIOND_TEST_PG (same host and port), else None: then
    the tests that stop PostgreSQL skip."""
    d = os.environ.get("PETITIOND_TEST_PG_DIR")
    if not d or url() is None:
        return None
    try:
        with open(os.path.join(d, "url"), encoding="utf-8") as f:
            theirs = urllib.parse.urlsplit(f.read().strip())
    except OSError:
        return None
    ours = urllib.parse.urlsplit(url())
    if (theirs.hostname, theirs.port) != (ours.hostname, ours.port):
        return None
    return d


def _cluster(cmd, timeout):
    d = cluster_dir()
    if d is None:
        raise PgError("no tests/pg/cluster directory (PETITIOND_TEST_PG_DIR) for this server")
    r = subprocess.run([CLUSTER, cmd, d], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if r.returncode != 0:
        raise PgError("tests/pg/cluster %s: %s" % (cmd, r.stderr.decode("utf-8", "replace")))


def stop_server(timeout=30):
    """Stops PostgreSQL at once (pg_ctl stop -m immediate: no shutdown
    checkpoint, clients cut off), keeping its data."""
    _cluster("stop-server", timeout)


def start_server(timeout=40):
    """Starts it again on the same port (crash recovery first); returns when
    it accepts connections."""
    _cluster("start-server", timeout)
