"""A real SMTP server for the tests (aiosmtpd, in a thread of the test
process), set as trytond's [email] uri: the portal's mails go through
smtplib to it, as to the city's mail server."""
import email
import email.policy
import re
import socket
import threading

from aiosmtpd.controller import Controller

import trytond.config as config


def restore(section, option, value):
    "Put back an option of trytond's configuration (None: unset)."
    if value is None:
        config._config.remove_option(section, option)
        config._cache_clear()
    else:
        config.set(section, option, value)


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class MailServer:
    "Collects the messages sent to it; start() sets trytond's [email]."

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname='127.0.0.1',
            port=_free_port())

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content,
            policy=email.policy.default)
        with self._lock:
            self.messages.append((envelope.rcpt_tos, message))
        return '250 OK'

    def start(self):
        self.controller.start()
        self._previous = {o: config.get('email', o) for o in ['uri', 'from']}
        config.set('email', 'uri', 'smtp://127.0.0.1:%s'
            % self.controller.port)
        config.set('email', 'from', 'noreply@city.hirakata.example.jp')
        return self

    def stop(self):
        for option, value in self._previous.items():
            restore('email', option, value)
        self.controller.stop()

    def last_to(self, address):
        "(subject, text) of the last message to address."
        with self._lock:
            for rcpt, message in reversed(self.messages):
                if address in rcpt:
                    return (str(message['Subject']),
                        message.get_body(('plain',)).get_content())
        raise AssertionError("no mail to %s" % address)

    def link_to(self, address):
        "The last link mailed to address."
        return re.search(r'https?://\S+', self.last_to(address)[1]).group(0)
