"""Staff pages of mass testing: samplers (mobile), lab staff, cadres."""
