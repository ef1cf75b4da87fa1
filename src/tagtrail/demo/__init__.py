"""`tagtrail demo`: the main job — a day of returnable crates through every real piece."""
