"""Getting into a box: ssh commands from the APIs' answers, trust in ProxyCommands and host keys, running
ssh, expiring credentials, the clipboard guard."""
