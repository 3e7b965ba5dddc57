"""Run inside dc09-spt's own venv: send one Contact ID event with dc09-spt's classes and print,
as JSON, the answer as dc09-spt reads it and the result of its own transfer (which resends
once after a NAK with the receiver's clock). Arguments: host port account receiver line
transport first_message_number.

dc09-spt writes the message number in hex (`'{0:04X}'.format(msg_nr)` in dc09_msg.dc09block)
where DC-09 has four decimal digits, and reads the answer's back as hex too: a client bug. Below
10 both spellings agree, so the caller keeps its message numbers in 1..9.
"""

import json
import sys

from dc09_spt.comm.transpath import TransPath
from dc09_spt.dc09_spt import dc09_spt
from dc09_spt.msg.dc05_msg import dc05_msg
from dc09_spt.msg.dc09_msg import dc09_msg

host, port, account, receiver, line, transport, first = sys.argv[1:]
nr = int(first)
path = TransPath(
    host, int(port), account, receiver=int(receiver, 16), line=int(line, 16), type=transport
)
event = dc05_msg.dc05event(account, {"code": "602", "q": "1", "area": "01", "zone": "000"})
block = dc09_msg(account, None, path.get_receiver(), path.get_line())
conn = path.connect()
raw = conn.sendAndReceive(block.dc09block(nr, "ADM-CID", event).encode(), 512)
conn.disconnect()
token, offset = block.dc09answer(nr, raw.decode())
try:
    transferred = dc09_spt(account).transfer_msg(nr + 1, "ADM-CID", event, path)
except Exception as exc:  # dc09-spt reads its second answer after a NAK as bytes: it may raise
    transferred = f"raised {type(exc).__name__}"
print(json.dumps({"answer": token, "offset": offset, "transferred": transferred}))
