// Placeholder until the Linux backend tests land from the linux branch.
