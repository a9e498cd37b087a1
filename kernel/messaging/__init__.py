"""The kernel's Kafka in and out: relays, consumers, inboxes, quarantine, republishing, watermarks, topics."""
