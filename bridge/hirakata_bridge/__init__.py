"""Card-reader bridge: reads FeliCa IDm and Type A UID with nfcpy (never
writes to a card) and hands them to the terminal web app on the same device
over a WebSocket on 127.0.0.1."""
