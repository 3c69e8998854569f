"""Signals of the policy app.

``policy_activated`` is sent (after the transaction commits) when a version marked *substantial* becomes the
active policy, so that the people concerned can be told (§13). Receivers get ``version`` (a ``PolicyVersion``)
and must enqueue their own work: the policy app sends the signal and does nothing else.

    from django.dispatch import receiver
    from tutela.policy.signals import policy_activated

    @receiver(policy_activated)
    def tell_people(sender, version, **kwargs): ...
"""

from __future__ import annotations

from django.dispatch import Signal

#: sent on commit with ``version=<PolicyVersion>`` when a substantial version becomes active
policy_activated = Signal()
