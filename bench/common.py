"""What the benches that start the portal share: a fresh PostgreSQL database on 127.0.0.1, and the
environment of production settings (DEBUG=0, keys made for the run) pointed at it."""

import os
import subprocess

from cryptography.fernet import Fernet


def fresh_database(name: str) -> str:
    """Drop and create `name` on 127.0.0.1:5432 (user postgres, trust); its DATABASE_URL."""
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def production_env(database_url: str, **settings: str) -> dict:
    """The process environment for the portal with production settings on `database_url`: keys made
    for this run, no TLS redirect, tasks run in the request, SMS kept in memory; `settings` add or
    override."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "FIELD_HASH_KEY": "bench-hash-key-0123456789abcdef",
        "RECEIPT_SIGNING_KEY": "cmVjZWlwdC1iZW5jaC1rZXktMDEyMzQ1Njc4OWFiY2Q",
        "QR_SIGNING_KEY": "YmVuY2gtcXItc2lnbmluZy1rZXktMDEyMzQ1Njc4OWE",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "SMS_BACKEND": "locmem",
        **settings,
    }
