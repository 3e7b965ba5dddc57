"""Figures from standards used by checks, each with its edition and clause.

School security: GB/T 29315-2022. One-button (emergency) alarms: GB 50394-2007 and
GA/T 368-2001. Camera pixel densities (DORI): IEC 62676-4:2014. As cited at each figure
below, with what could not be confirmed said so.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- GB/T 29315-2022 中小学、幼儿园安全防范要求 (in force 2022-06-01), staffing -------------
# Confirmed from a report of the standard's staffing requirements (Chongqing Public Security
# Technology Prevention Association, 2022-06-13, "国家标准(GB/T 29315-2022)《中小学、幼儿园
# 安全防范要求》6月1日正式实施"): guards are counted by NON-BOARDING students (非寄宿生):
# fewer than 100 -> at least 1 guard; 1,000 or more -> at least 3, plus at least 1 for each
# further 500; the gate room (门卫室) staffed 24 h; key parts and areas patrolled at least 5
# times a day. NOT confirmed: the figure for 100-999 non-boarding students (2 here, the step
# between the two reported bands), the clause numbers, and whether a part of 500 counts
# (here: only whole 500s add a guard, "每增加500人").
MIN_PATROLS_PER_DAY = 5
GUARDS_UNDER_100 = 1
GUARDS_100_TO_999 = 2  # not confirmed, see above
GUARDS_FROM_1000 = 3
STUDENTS_PER_FURTHER_GUARD = 500


def required_guards(non_boarding_students: int) -> int:
    """Guards (保安员) a school needs under GB/T 29315-2022, from its non-boarding students:
    1 under 100, 2 up to 999, 3 from 1,000 and one more for every further 500."""
    if non_boarding_students < 100:
        return GUARDS_UNDER_100
    if non_boarding_students < 1000:
        return GUARDS_100_TO_999
    return GUARDS_FROM_1000 + (non_boarding_students - 1000) // STUDENTS_PER_FURTHER_GUARD


# --- IEC 62676-4:2014 (Ed. 1.0; EN 62676-4:2015, DIN EN 62676-4), pixel densities --------
# Pixels per metre at the target for each level of detail an operational requirement names
# (the "DORI" levels, plus monitor). Confirmed from two descriptions of DIN EN 62676-4:
# sicherheitstechnik-tst.de ("Auflösungsklassen der Videoüberwachung nach DIN EN 62676-4")
# lists monitor 12.5, detect 25, observe 62.5, recognise 125, identify 250 and inspect 1,000
# px/m (inspect is not used here); cctv-check.de ("DIN EN 62676-4 überwachen" / "erkennen")
# gives the same levels as the scene size one pixel covers: monitor 80 mm = 12.5 px/m,
# recognise 8 mm = 125 px/m. Vendor papers that round observe to 62 (e.g. Infiniti Optics'
# DORI paper) were this module's old figure. The clause and table number in IEC 62676-4:2014
# were NOT confirmed. IEC 62676-4:2025 (Ed. 2.0) withdrew the 2014 edition and replaced these
# levels with a new scale; tenders and police guidance still quote DORI, so the audit keeps
# these names.
DORI_PPM: dict[str, float] = {
    "monitor": 12.5,
    "detect": 25.0,
    "observe": 62.5,
    "recognise": 125.0,
    "identify": 250.0,
}
DORI_SOURCE = "IEC 62676-4:2014"


# --- GB/T 28181 unified coding (the 20-digit IDs devices and platforms register under) ---
# GB/T 28181-2016 Appendix D (normative) "统一编码规则", kept by GB/T 28181-2022 (Appendix E):
# digits 1-8 centre code (1-6 the GB/T 2260 division, 7-8 grassroots unit), 9-10 industry
# code (Table D.2), 11-13 type code (Table D.1), 14 network identifier, 15-20 serial number.
# The code tables below are as WVP-PRO encodes them (648540858/wvp-GB28181-pro,
# gb28181/bean/DeviceTypeEnum.java and GbCode.java); the 2022 edition added 120-125, 140-143.
GB28181_ID_LENGTH = 20
GB28181_DIVISION = slice(0, 6)
GB28181_INDUSTRY = slice(8, 10)
GB28181_TYPE = slice(10, 13)
GB28181_NETWORK = slice(13, 14)
GB28181_INDUSTRY_EDUCATION = "11"  # Table D.2: 11 教育部门接入 (education department access)
GB28181_TYPES = {
    "111": "DVR",
    "112": "video server",
    "113": "encoder",
    "114": "decoder",
    "117": "alarm controller",
    "118": "NVR",
    "130": "HVR",
    "131": "camera",
    "132": "IP camera (IPC)",
    "134": "alarm input device",
    "135": "alarm output device",
    "200": "central signalling control server (SIP server)",
    "202": "media distribution server",
    "209": "access gateway",
    "215": "business group",
    "216": "virtual organisation",
}
# Which type codes fit which inventory kind: a camera's own ID and its channels are 131/132;
# an NVR (the inventory's recorder) registers as 118 (or 111 DVR / 130 HVR) with channels
# that are the cameras behind it (131/132); the precinct's SIP server is 200.
GB28181_TYPES_OF_KIND = {
    "camera": ("131", "132"),
    "recorder": ("118", "111", "130"),
    "channel": ("131", "132"),
    "sip_server": ("200",),
    # A one-button alarm column registers as the device that raises the alarm: 134, "报警输入
    # 设备" (alarm input device: infrared, smoke, door contacts and other alarm devices), as
    # Table D.1 names it and WVP-PRO's DeviceTypeEnum.ALARM_INPUT_DEVICE encodes it. Not 117
    # (an alarm controller, the panel behind such inputs) nor 135 (alarm output: lamps,
    # sirens).
    "alarm": ("134",),
}
# The SIP domain is the first 10 digits of the server ID (Appendix D: the centre code plus
# the industry code; WVP-PRO's application.yml documents sip.domain the same way).
GB28181_DOMAIN_LENGTH = 10
GB28181_EDITIONS = ("2016", "2022")
# GB 50394-2007 (入侵报警系统工程设计规范) §5.2.3 item 1, a mandatory clause: an emergency alarm
# device shall be non-disarmable (紧急报警装置应设置为不可撤防状态; the clause's explanation
# reads this as armed 24 h), protected against false triggering, and latching once triggered
# (被触发后应自锁). A panic zone is therefore configured 24-hour, non-disarmable and latching.
PANIC_ZONE_CLAUSE = "GB 50394-2007 §5.2.3 item 1"


@dataclass(frozen=True, slots=True)
class AlarmLatencyProfile:
    """How fast a one-button alarm must reach the precinct's centre, and on whose word."""

    name: str
    limit_s: float
    source: str


# GA/T 368-2001 (入侵报警系统技术要求) sets the response time of an intrusion alarm system: at
# most 2 s for a wired (分线制) system, 3 s for the first alarm of a bus or wireless system. Its
# scope (§1) excludes the remote centre and the link to it, so holding the whole path to the
# precinct to these figures is stricter than the standard asks; a city chooses it on purpose.
# (The clause number of the response-time requirement was not confirmed; only the figures and
# the scope were.)
ALARM_LATENCY_PROFILES = {
    p.name: p
    for p in (
        AlarmLatencyProfile(
            "ga-t-368-wired",
            2.0,
            "GA/T 368-2001 response time of a wired intrusion alarm system (at most 2 s), held "
            "end to end to the precinct",
        ),
        AlarmLatencyProfile(
            "ga-t-368-bus",
            3.0,
            "GA/T 368-2001 response time of a bus or wireless system's first alarm (at most "
            "3 s), held end to end to the precinct",
        ),
    )
}
