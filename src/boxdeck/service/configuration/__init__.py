"""Where settings come from: flags, environment, profiles, token sources and files, remembered preferences,
paths, the write grant."""
