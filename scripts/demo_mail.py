"""The demo's mail server: prints each mail the system sends (sign-up
confirmations, password resets) to the console, decoded, instead of
delivering it. Usage: demo_mail.py PORT"""
import asyncio
import email
import email.policy
import sys

from aiosmtpd.controller import Controller


class Printer:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content,
            policy=email.policy.default)
        print("\n== mail to %s: %s\n%s" % (', '.join(envelope.rcpt_tos),
                message['Subject'],
                message.get_body(('plain',)).get_content()), flush=True)
        return '250 OK'


if __name__ == '__main__':
    controller = Controller(Printer(), hostname='127.0.0.1',
        port=int(sys.argv[1]))
    controller.start()
    asyncio.new_event_loop().run_forever()
