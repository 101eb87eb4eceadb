"""Writing posts: their texts per network, schedules, slots, campaigns, the calendar."""
