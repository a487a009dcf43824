"""Buttons only for those who may press them, and fields only buttons
change.

trytond shows a button a user may not press greyed out (read-only); a city
clerk then sees 承認 on a programme, an accountant 停止 on a store, and a
click that can only fail. Models with workflow buttons for some groups
only take this mixin, which hides those buttons instead."""
import json

from lxml import etree

from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.transaction import Transaction


class ButtonsForTheirGroups:
    __slots__ = ()

    @classmethod
    def parse_view(cls, tree, type, *args, **kwargs):
        arch, fields = super().parse_view(tree, type, *args, **kwargs)
        # (Views are cached per set of groups: this runs once for each.)
        view = etree.fromstring(arch)
        changed = False
        for button in view.iter('button'):
            states = json.loads(button.get('states') or '{}')
            if states.get('readonly') is True:  # no right to press it
                states['invisible'] = True
                button.set('states', json.dumps(states))
                changed = True
        if changed:
            arch = etree.tostring(view, encoding='utf-8').decode('utf-8')
        return arch, fields


class ChangedByButtonsOnly:
    """Fields read-only on every screen (a workflow's state, who approved
    it and when, a card's replacement) change only through the model's
    buttons and the server's own code. sao never writes them; a client
    that writes them itself through JSON-RPC (approving without the
    approver, activating a store nobody approved, unblocking a replaced
    card) is refused, and so is a new record created in another state than
    its first. Buttons and wizards run without access checks, so they
    still write them."""
    __slots__ = ()

    @classmethod
    def _refuse(cls, name):
        raise AccessError(gettext(
                'hirakata_points.msg_field_changed_by_buttons_only',
                **cls.__names__(field=name)))

    @classmethod
    def _button_fields(cls, values):
        "The fields of values no screen lets the user change."
        return [n for n in values
            if getattr(cls._fields.get(n), 'readonly', False) is True]

    @classmethod
    def create(cls, vlist):
        if Transaction().check_access and 'state' in cls._fields:
            # A new record starts in its first state. (Other read-only
            # fields come with a new record: defaults, and what on_change
            # fills in, like a card's account from its holder.)
            for values in vlist:
                if values.get('state', cls.default_state()) != (
                        cls.default_state()):
                    cls._refuse('state')
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        if Transaction().check_access:
            for values in args[1::2]:
                for name in cls._button_fields(values):
                    cls._refuse(name)
        super().write(*args)
