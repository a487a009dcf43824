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

// Before anyone signs in, sao speaks the browser's language; the city's
// staff work in Japanese whatever their browser says. Once signed in, sao
// passes the user's own language here.
(function() {
    'use strict';
    var setlang = Sao.i18n.setlang;
    Sao.i18n.setlang = function(lang) {
        return setlang.call(this, lang || 'ja');
    };
}());
