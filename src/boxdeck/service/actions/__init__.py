"""What the user does to boxes and their accounts: box actions, agent prompts, sessions, secrets, the SSH key
and GitHub, snapshots."""
