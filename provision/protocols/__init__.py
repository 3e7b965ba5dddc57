"""Wire protocols the toolkit speaks itself (RTSP/RTP/SDP), shared by the lab and the CLI."""
