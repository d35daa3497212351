"""Which names hold credentials: environment variables, ConfigMap keys, annotation keys, flags, query parameters.

A name is split into lower-case words at ``_``, ``-``, ``.``, ``/``, spaces and camelCase boundaries
(``DB_PASS`` -> db, pass; ``apiKey`` -> api, key; ``spring.datasource.password`` -> spring, datasource, password).
Then, in this order:

1. **Connection strings of data stores** hold credentials: a data-store or webhook word (``database``, ``db``,
   ``redis``, ``postgres``, ``amqp``, ``webhook``, ``datasource``...) with a last word ``url``/``uri``/``dsn``/
   ``string`` (``DATABASE_URL``, ``REDIS_URI``, ``SLACK_WEBHOOK_URL``), and ``connection`` + ``string(s)``.
2. **A describing last word** means the name is *about* a credential, not the credential: ``_FILE``, ``_PATH``,
   ``_URL``, ``_NAME``, ``_USER``, ``_ID``, ``_ENABLED``, ``_LENGTH``, ``_TTL``, ``_TIMEOUT``, ``_VERSION``...
   (``PASSWORD_POLICY_URL``, ``TOKEN_TTL``, ``SECRET_NAME``, ``API_KEY_FILE``, ``AWS_ACCESS_KEY_ID`` are shown).
3. **Credential words**: a word that is, or ends with, ``password``, ``passwd``, ``passphrase``, ``passcode``,
   ``secret``, ``token``, ``credential``, ``apikey``, ``privatekey``, ``accesskey``, ``secretkey`` (plural too:
   ``PGPASSWORD``, ``accessToken``, ``clientSecret``, ``GOOGLE_APPLICATION_CREDENTIALS``); the words ``pass``,
   ``pwd``, ``pw``, ``pat``, ``dsn``, ``jwt``, ``auth``, ``authorization``, ``bearer``, ``creds``, ``cred``,
   ``webhook`` (``DB_PASS``, ``GITHUB_PAT``, ``BASIC_AUTH``); and ``key``/``keys`` (``API_KEY``, ``TLS_KEY``,
   ``SIGNING_KEY``) except a ``public`` key.

``PWD``/``OLDPWD`` (the shell's working directory) are not credentials. Words inside other words do not count
(``TOKENIZER_PATH``, ``BYPASS_CACHE``, ``MONKEY``, ``AUTHOR``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

#: Stems that make a word a credential when the word is the stem or ends with it (``pgpassword``, ``accesstoken``).
CREDENTIAL_STEMS = ("password", "passwd", "passphrase", "passcode", "secret", "token", "credential", "apikey",
                    "privatekey", "accesskey", "secretkey", "signingkey", "encryptionkey", "masterkey", "sshkey")
#: Whole words that make a name a credential.
CREDENTIAL_WORDS = frozenset({"pass", "pwd", "pw", "pat", "dsn", "jwt", "auth", "authorization", "bearer", "creds",
                              "cred", "webhook", "key", "keys"})
#: Last words that describe a credential instead of holding one.
DESCRIBING_WORDS = frozenset({
    "file", "files", "path", "paths", "dir", "directory", "location", "mount", "ref", "reference", "name", "names",
    "url", "urls", "uri", "uris", "endpoint", "endpoints", "host", "hostname", "hosts", "port", "user", "username",
    "usr", "id", "ids", "enabled", "enable", "disabled", "disable", "required", "mode", "type", "kind", "method",
    "provider", "policy", "length", "len", "size", "min", "max", "minimum", "maximum", "ttl", "timeout", "expiry",
    "expires", "expiration", "lifetime", "duration", "interval", "rotation", "version", "count", "format",
    "algorithm", "alg", "issuer", "audience", "scope", "scopes", "prefix", "suffix", "label", "selector",
})
#: Words naming a data store, broker or webhook, whose connection URLs carry credentials.
CONNECTION_WORDS = frozenset({
    "database", "db", "redis", "mongo", "mongodb", "postgres", "postgresql", "pg", "psql", "mysql", "mariadb",
    "mssql", "sqlserver", "sql", "jdbc", "amqp", "rabbitmq", "rabbit", "broker", "celery", "cassandra", "couchdb",
    "couchbase", "elasticsearch", "elastic", "opensearch", "neo4j", "clickhouse", "kafka", "nats", "smtp", "ldap",
    "ftp", "sftp", "webhook", "datasource", "sentry", "connection", "conn",
})
_URL_WORDS = frozenset({"url", "urls", "uri", "uris", "dsn", "string", "str", "connstr"})
_NOT_CREDENTIALS = frozenset({"pwd", "oldpwd"})


def words(name: str) -> tuple[str, ...]:
    """The lower-case words of ``name`` (separators and camelCase boundaries split it)."""
    out: list[str] = []
    for part in _SPLIT.split(name):
        out.extend(w.lower() for w in _CAMEL.findall(part))
    return tuple(out)


def _credential_word(word: str) -> bool:
    if word in CREDENTIAL_WORDS:
        return True
    return any(word == stem or word == stem + "s" or word.endswith(stem) or word.endswith(stem + "s")
               for stem in CREDENTIAL_STEMS)


def has_credential_stem(name: str) -> bool:
    """Whether a word of ``name`` is (or ends with) a credential stem (``password``, ``secret``, ``token``...): the
    stronger signal that text such as ``password: …`` needs, where ``auth: bearer`` is prose."""
    return any(word.endswith(stem) or word.endswith(stem + "s") for word in words(name) for stem in CREDENTIAL_STEMS)


@lru_cache(maxsize=8192)
def is_credential_name(name: str) -> bool:
    """Whether a value stored under ``name`` is a credential (see the module docstring for the rule)."""
    if name.strip().lower() in _NOT_CREDENTIALS:
        return False
    parts = words(name)
    if not parts:
        return False
    last = parts[-1]
    if CONNECTION_WORDS.intersection(parts) and last in _URL_WORDS:
        return True
    if "connection" in parts and ("string" in parts or "strings" in parts):
        return True
    if last in DESCRIBING_WORDS:
        return False
    for i, word in enumerate(parts):
        if word in ("key", "keys") and i > 0 and parts[i - 1] == "public":
            continue
        if _credential_word(word):
            return True
    return False


__all__ = ["CONNECTION_WORDS", "CREDENTIAL_STEMS", "CREDENTIAL_WORDS", "DESCRIBING_WORDS", "has_credential_stem",
           "is_credential_name", "words"]
