"""Framework trends: collecting public usage signals and turning them into digests."""
