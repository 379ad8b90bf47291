"""Sending mail through the operator's SMTP server (``Settings.smtp_*``)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from airwave.config import Settings
from airwave.errors import MailError

TIMEOUT_SECONDS = 20


def mail_configured(settings: Settings) -> bool:
    """Tell whether a mail server is set, so links can be mailed instead of handed over by support."""
    return bool(settings.smtp_host)


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Hand a plain-text mail to the SMTP server.

    Raises:
        MailError: no server is configured, it cannot be reached, or it refused the mail.
    """
    if not settings.smtp_host:
        raise MailError("no mail server is configured (AIRWAVE_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as server:
            if settings.smtp_starttls:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"the mail server {settings.smtp_host}:{settings.smtp_port} did not take the mail: {exc}"
        ) from None
