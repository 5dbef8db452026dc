"""Training (14 CFR 460.51): the modules operations keep (``modules``) and the plan each vehicle or
flight requires (``plans``). Sessions, bookings of places, the instructor's roster and sign-off,
and what training registers with the engines (its readiness gate, reminders, preference category
and signal receivers) come next (issue 11)."""
