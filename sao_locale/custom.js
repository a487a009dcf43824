// Installed as sao's custom.js (scripts/sao_locale.py), which sao's
// index.html loads after sao itself.
// sao 8.0 titles its preferences dialog "Preferences" as a literal, not
// through its catalogue: dialog titles go through the catalogue (a title
// already in the user's language is left as it is).
(function() {
    'use strict';
    var add_title = Sao.Dialog.prototype.add_title;
    Sao.Dialog.prototype.add_title = function(title, small) {
        return add_title.call(this, Sao.i18n.gettext(title), small);
    };
}());
