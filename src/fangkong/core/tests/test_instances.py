"""core.instances: trusted instances behave like loaded ones, and are used
only for models that no pre_init/post_init receiver listens to."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_init, pre_init

from fangkong.checkpoints.models import Entry
from fangkong.core.instances import trusted_instance
from fangkong.people.models import Person


@pytest.mark.parametrize("model", [Entry, Person])
def test_it_is_used_only_for_models_without_init_receivers(model):
    # Model.__init__ would call these receivers; a trusted instance does not.
    assert not pre_init.has_listeners(model)
    assert not post_init.has_listeners(model)


def test_it_loads_the_fields_it_was_not_given_on_first_access(resident):
    holder = trusted_instance(
        Person, ["id", "name"], [resident.pk, resident.name], database="default"
    )
    assert (holder.pk, holder.name) == (resident.pk, resident.name)
    assert holder.get_deferred_fields() >= {"status", "home_unit_id"}
    assert holder.status == resident.status
    assert holder.home_unit_id == resident.home_unit_id


def test_it_makes_a_new_instance_without_a_database():
    entry = trusted_instance(Entry, ["id", "decision"], [None, "admit"])
    assert entry._state.adding
    assert entry.decision == "admit"
