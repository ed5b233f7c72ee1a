"""Ready-made outbound scenarios: one campaign, a team of agents, and how called parties respond.

The pacing benchmark runs its grid on these, and the tests check the pacer on them.
"""

from __future__ import annotations

from acd.config.schema import Config


def outbound_scenario(
    agents: int,
    p_live: float,
    *,
    talk: float = 90.0,
    hours: float = 8.0,
    seed: int = 1,
    mode: str = "predictive",
) -> Config:
    """Live answers with probability ``p_live``, machines 0.15, the rest ring out at 25 s; ring
    time to answer lognormal (mean 12 s, sd 6 s); talk lognormal (mean ``talk``, cv 0.8); wrap-up
    exponential (mean 15 s, ended by the simulated agents; the campaign's wrap-up is only a cap).
    """
    return Config.model_validate(
        {
            "name": "outbound",
            "campaigns": [
                {
                    "name": "c",
                    "mode": mode,
                    "skills": {"out": 1},
                    "wrap_up_seconds": 600,
                    "ring_seconds": 25,
                    "safe_harbor_message": "safe-harbor",
                }
            ],
            "agents": [{"id": f"a{i}", "skills": {"out": 5}} for i in range(agents)],
            "simulation": {
                "seed": seed,
                "hours": hours,
                "agents": {"wrap_up": {"distribution": "exponential", "mean": 15}},
                "outbound": {
                    "human_probability": p_live,
                    "machine_probability": 0.15,
                    "busy_probability": 0.0,
                    "failed_probability": 0.0,
                    "ring_to_answer": {"distribution": "lognormal", "mean": 12, "sd": 6},
                    "talk_time": {"distribution": "lognormal", "mean": talk, "sd": 0.8 * talk},
                },
            },
        }
    )
