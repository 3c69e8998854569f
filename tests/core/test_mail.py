"""Mail goes out through real SMTP, only after the transaction commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from tutela.core.mail import build_message, send_on_commit


@pytest.mark.django_db(transaction=True)
def test_mail_is_sent_after_commit_and_not_after_rollback(smtp_server) -> None:
    with transaction.atomic():
        send_on_commit(build_message(to=["ann@example.org"], subject="Hello", text="Body", language="fr"))

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        send_on_commit(build_message(to=["bob@example.org"], subject="Never", text="x"))
        raise Boom
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert messages[0]["To"] == "ann@example.org"
    assert messages[0]["Content-Language"] == "fr"
