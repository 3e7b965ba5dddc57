"""A GB/T 28181 platform and device agent for the lab, over real SIP, MANSCDP and RTP/PS.

    sip.py        SIP messages (RFC 3261) and HTTP Digest (RFC 2617) as GB/T 28181 uses them
    transport.py  SIP over UDP and TCP (one endpoint per side) with client transactions
    manscdp.py    MANSCDP XML bodies: Keepalive, Catalog query and response (GB2312 or UTF-8)
    mpegps.py     H.264 muxed into MPEG-PS (ISO/IEC 13818-1) over RTP, and found in it again
    platform.py   the precinct's platform: registrar, keepalives, Catalog, INVITE/BYE
    rest.py       the subset of WVP-PRO's REST API auditors use
    agent.py      the SIP user agent a lab camera or NVR runs once its settings are written

Modelled on WVP-PRO (github.com/648540858/wvp-GB28181-pro, commit 768d74094), the open
platform integrators meet; each module cites the files it follows.
"""
