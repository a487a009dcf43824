"""Buttons only for those who may press them.

trytond shows a button a user may not press greyed out (read-only); a city
clerk then sees 承認 on a programme, an accountant 停止 on a store, and a
click that can only fail. Models with workflow buttons for some groups
only take this mixin, which hides those buttons instead."""
import json

from lxml import etree


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
