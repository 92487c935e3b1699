"""The uploads mover and the Job or `docker compose run` that runs it."""
