"""The practitioner panel: server-rendered pages for desktops."""
