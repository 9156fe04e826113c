"""The guest agent (spice-vdagent) protocol, sans-IO: its messages ride in the main channel's AGENT_DATA.

messages  - every VDAgent message layout and constant (spice/vd_agent.h)
stream    - AGENT_DATA reassembly and chunking, token flow control both ways
clipboard - the shared clipboard per selection
file_xfer - copying files into the guest
monitors  - MONITORS_CONFIG, DISPLAY_CONFIG, MOUSE_STATE
session   - AgentSession: all of the above behind the main channel's agent messages
"""
