import pytest

from app.config import DEFAULT_SECRET_KEY, ConfigError, load_config

STRONG = "s" * 40
MEDICAL_KEY = "mq3sVwOyWmrCCAEeUTAd2yS2RZTcJ2Gw-VNd-HsAAb8="  # a Fernet key, for these tests only


def test_embedded_defaults_need_no_services(tmp_path):
    cfg = load_config({"COUNTDOWN_INSTANCE": str(tmp_path)})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'countdown.sqlite'}"
    assert cfg["CELERY"]["broker_url"] == f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite'}"
    assert (cfg["PAYMENTS_PROVIDER"], cfg["SMS_PROVIDER"], cfg["EMAIL_PROVIDER"]) == ("sandbox", "outbox", "outbox")
    assert cfg["HOLD_MINUTES"] == 15


def test_real_services_are_chosen_by_their_settings():
    cfg = load_config({
        "DATABASE_URL": "postgres://u:p@db/countdown", "REDIS_URL": "redis://cache:6379/0",
        "STRIPE_SECRET_KEY": "sk_test_x", "TWILIO_ACCOUNT_SID": "AC1", "SMTP_HOST": "smtp.example.com",
    })
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/countdown"
    assert cfg["CELERY"]["broker_url"] == "redis://cache:6379/0"
    assert (cfg["PAYMENTS_PROVIDER"], cfg["SMS_PROVIDER"], cfg["EMAIL_PROVIDER"]) == ("stripe", "twilio", "smtp")


def test_hold_minutes_is_configurable_and_checked():
    assert load_config({"HOLD_MINUTES": "20"})["HOLD_MINUTES"] == 20
    with pytest.raises(ConfigError, match="HOLD_MINUTES must be a whole number"):
        load_config({"HOLD_MINUTES": "soon"})


def test_production_refuses_the_default_secret_key():
    with pytest.raises(ConfigError) as info:
        load_config({"COUNTDOWN_ENV": "production", "ALLOW_SANDBOX_PROVIDERS": "1"})
    assert "SECRET_KEY" in str(info.value)


def test_production_refuses_sandbox_and_outbox_and_names_each():
    with pytest.raises(ConfigError) as info:
        load_config({"COUNTDOWN_ENV": "production", "SECRET_KEY": STRONG})
    message = str(info.value)
    assert "payments use the sandbox" in message
    assert "SMS go to the outbox" in message
    assert "email goes to the outbox" in message
    assert "ALLOW_SANDBOX_PROVIDERS=1" in message


def test_production_starts_when_sandbox_is_allowed_explicitly():
    cfg = load_config({"COUNTDOWN_ENV": "production", "SECRET_KEY": STRONG, "ALLOW_SANDBOX_PROVIDERS": "1",
                       "MEDICAL_ENCRYPTION_KEYS": MEDICAL_KEY})
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SECRET_KEY"] != DEFAULT_SECRET_KEY


def test_production_with_real_providers_needs_the_stripe_webhook_secret():
    env = {
        "COUNTDOWN_ENV": "production", "SECRET_KEY": STRONG, "STRIPE_SECRET_KEY": "sk_live_x",
        "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_FROM_NUMBER": "+12025550100",
        "SMTP_HOST": "smtp.example.com", "BASE_URL": "https://countdown.example",
        "MEDICAL_ENCRYPTION_KEYS": MEDICAL_KEY,
    }
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        load_config(env)
    with pytest.raises(ConfigError, match="STRIPE_PUBLISHABLE_KEY"):
        load_config({**env, "STRIPE_WEBHOOK_SECRET": "whsec_x"})
    full = {**env, "STRIPE_WEBHOOK_SECRET": "whsec_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x"}
    assert load_config(full)["PAYMENTS_PROVIDER"] == "stripe"


def test_create_app_refuses_to_start_in_production_with_defaults():
    from app import create_app

    with pytest.raises(ConfigError, match="Refusing to start in production"):
        create_app(env={"COUNTDOWN_ENV": "production"})


def test_production_refuses_to_start_without_medical_encryption_keys():
    env = {"COUNTDOWN_ENV": "production", "SECRET_KEY": STRONG, "ALLOW_SANDBOX_PROVIDERS": "1"}
    with pytest.raises(ConfigError, match="MEDICAL_ENCRYPTION_KEYS is not set"):
        load_config(env)
    with pytest.raises(ConfigError, match="MEDICAL_ENCRYPTION_KEYS is not set"):
        load_config({**env, "MEDICAL_ENCRYPTION_KEYS": ""})
    assert load_config({**env, "MEDICAL_ENCRYPTION_KEYS": MEDICAL_KEY})["MEDICAL_ENCRYPTION_KEYS"] == MEDICAL_KEY


def _production_env(tmp_path, keys: str) -> dict[str, str]:
    return {
        "COUNTDOWN_ENV": "production", "SECRET_KEY": STRONG, "ALLOW_SANDBOX_PROVIDERS": "1",
        "COUNTDOWN_INSTANCE": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}",
        "MEDICAL_ENCRYPTION_KEYS": keys,
    }


@pytest.mark.parametrize("keys", [
    "not-a-fernet-key",
    "c2hvcnQ=",                                   # base64, but not 32 bytes
    f"{MEDICAL_KEY},not-a-fernet-key",            # every key is checked, not only the first
])
def test_production_refuses_to_start_with_an_invalid_medical_key(tmp_path, keys):
    from app import create_app
    from app.crypto import CryptoError

    with pytest.raises(CryptoError, match="MEDICAL_ENCRYPTION_KEYS holds a key that is not a Fernet key") as info:
        create_app(env=_production_env(tmp_path, keys))
    assert "not-a-fernet-key" not in str(info.value)  # the message never repeats a key


def test_production_starts_with_valid_medical_keys_and_uses_the_first(tmp_path):
    from cryptography.fernet import Fernet

    from app import create_app
    from app.crypto import decrypt, encrypt

    older = Fernet.generate_key().decode()
    app = create_app(env=_production_env(tmp_path, f"{MEDICAL_KEY}, {older}"))
    with app.app_context():
        token = encrypt(b"fit to fly")
        assert Fernet(MEDICAL_KEY.encode()).decrypt(token) == b"fit to fly"
        assert decrypt(Fernet(older.encode()).encrypt(b"old")) == b"old"
    assert not (tmp_path / "medical-encryption.key").exists()  # no generated key in production


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="COUNTDOWN_ENV"):
        load_config({"COUNTDOWN_ENV": "staging"})


def test_a_login_limit_that_cannot_be_read_stops_the_start():
    with pytest.raises(ConfigError, match="LOGIN_LIMIT_PER_ACCOUNT"):
        load_config({"LOGIN_LIMIT_PER_ACCOUNT": "five a minute"})
    assert load_config({"LOGIN_LIMIT_PER_ACCOUNT": "3 per 10 minutes"})["LOGIN_LIMIT_PER_ACCOUNT"] == "3 per 10 minutes"
