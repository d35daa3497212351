"""The credential-name rule on a table of real-world names: those that hold credentials, and those that must stay
readable (they describe a credential, or only look like one)."""

from __future__ import annotations

import pytest

from pykyverno.server.redaction import is_credential_name
from pykyverno.server.redaction.names import words

CREDENTIALS = [
    # passwords, the short spellings included (DB_PASS was missed by the old pattern)
    "DB_PASS", "DB_PASSWORD", "PASSWORD", "PASSWD", "PGPASSWORD", "MYSQL_ROOT_PASSWORD", "RABBITMQ_DEFAULT_PASS",
    "REDIS_PWD", "DB_PW", "GPG_PASSPHRASE", "spring.datasource.password", "db.password", "dbPassword",
    # connection strings that embed credentials (DATABASE_URL was missed)
    "DATABASE_URL", "REDIS_URL", "MONGO_URI", "MONGODB_URI", "AMQP_URL", "CELERY_BROKER_URL", "SENTRY_DSN",
    "SPRING_DATASOURCE_URL", "CONNECTION_STRING", "ConnectionStrings__DefaultConnection", "SLACK_WEBHOOK_URL",
    "DISCORD_WEBHOOK", "POSTGRES_DSN",
    # keys and tokens
    "API_KEY", "api_key", "apiKey", "APIKey", "apikey", "x-api-key", "OPENAI_API_KEY", "NUGET_API_KEY",
    "AWS_SECRET_ACCESS_KEY", "SECRET_KEY", "SECRET_KEY_BASE", "ENCRYPTION_KEY", "SIGNING_KEY", "TLS_KEY",
    "SSH_PRIVATE_KEY", "privateKey", "GITHUB_TOKEN", "NPM_TOKEN", "accessToken", "access_token", "refresh-token",
    "HTTPAuthToken", "GITHUB_PAT", "JWT", "JWT_SECRET", "CLIENT_SECRET", "clientSecret", "client_secret",
    "SECRET", "TOKEN", "CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CREDS", "BASIC_AUTH", "AUTH",
    "AUTHORIZATION", "REGISTRY_AUTH", "AUTH_HEADER", "PASSWORD_HASH",
    # annotation and flag names
    "example.com/api-token", "vault.hashicorp.com/secret", "password", "token", "db-password",
]

NOT_CREDENTIALS = [
    # names *about* a credential: where it is, what it is called, how it behaves
    "PASSWORD_POLICY_URL", "PASSWORD_MIN_LENGTH", "PASSWORD_FILE", "API_KEY_FILE", "TOKEN_TTL", "TOKEN_URL",
    "TOKEN_AUDIENCE", "AUTH_URL", "AUTH_ENABLED", "AUTH_PROVIDER", "SECRET_NAME", "secretName", "secretRef",
    "secretKeyRef", "AWS_ACCESS_KEY_ID", "KEY_ID", "CLIENT_ID", "DB_USER", "DB_USERNAME", "DB_HOST", "DB_PORT",
    "DB_NAME", "DATABASE_NAME", "REDIS_HOST", "PUBLIC_KEY", "KEY_PREFIX", "OAUTH_CALLBACK_URL",
    # ordinary names that merely contain the letters
    "PWD", "OLDPWD", "PATH", "HOME", "HOSTNAME", "LOG_LEVEL", "NODE_ENV", "JAVA_OPTS", "TOKENIZERS_PARALLELISM",
    "TOKENIZER_PATH", "BYPASS_CACHE", "COMPASS_URL", "MONKEY_PATCH", "AUTHOR", "KEYCLOAK_URL", "SECRETARY_NAME",
    "KUBERNETES_SERVICE_HOST", "CERT_MANAGER_VERSION", "app.kubernetes.io/name", "deployment.kubernetes.io/revision",
    "kubernetes.io/service-account.name", "cert-manager.io/cluster-issuer",
    "container.apparmor.security.beta.kubernetes.io/main", "", "-",
]


@pytest.mark.parametrize("name", CREDENTIALS)
def test_credential_names_are_recognised(name: str) -> None:
    assert is_credential_name(name), f"{name} {words(name)} holds a credential"


@pytest.mark.parametrize("name", NOT_CREDENTIALS)
def test_other_names_stay_readable(name: str) -> None:
    assert not is_credential_name(name), f"{name} {words(name)} does not hold a credential"


def test_words_split_separators_and_camel_case() -> None:
    assert words("DB_PASS") == ("db", "pass")
    assert words("APIKey") == ("api", "key")
    assert words("HTTPAuthToken") == ("http", "auth", "token")
    assert words("spring.datasource.password") == ("spring", "datasource", "password")
    assert words("x-api-key") == ("x", "api", "key")
