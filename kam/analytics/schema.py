"""Column names of every frame the analytics core reads or writes, declared once.

Input: a transactions frame with at least CLIENT, DATE and AMOUNT; optionally COST (or MARGIN),
PRODUCT, QUANTITY and DOCUMENT. Client ids may be strings or integers; they come back as given.
"""

# --- transactions (input) ---
CLIENT = "client_id"
DATE = "date"
AMOUNT = "amount"
COST = "cost"
MARGIN = "margin"
PRODUCT = "product"
QUANTITY = "quantity"
DOCUMENT = "document"

REQUIRED = (CLIENT, DATE, AMOUNT)

# --- per-client results ---
VALUE = "value"  # revenue or margin over the analysis window, by the ABC basis
SHARE = "share"  # the client's share of total value
CUM_SHARE_ABOVE = "cum_share_above"  # share of the clients ranked above this one
RANK = "rank"
ABC = "abc"
CV = "cv"  # coefficient of variation of monthly amounts (population std / mean)
XYZ = "xyz"
MONTHS_OBSERVED = "months_observed"

FIRST_PURCHASE = "first_purchase"
LAST_PURCHASE = "last_purchase"
PURCHASE_DAYS = "purchase_days"  # distinct purchase days in the calibration period
FREQUENCY = "frequency"  # repeat purchase days: purchase_days - 1
RECENCY = "recency"  # last - first purchase, in the model's time unit
T = "T"  # as-of - first purchase, in the model's time unit
MONETARY = "monetary_value"  # mean amount per repeat purchase day (Gamma-Gamma input)
AVERAGE_PURCHASE = "average_purchase"  # mean amount per purchase day, first one included

R_SCORE = "r_score"
F_SCORE = "f_score"
M_SCORE = "m_score"
RFM_SEGMENT = "rfm_segment"

TYPICAL_GAP_DAYS = "typical_gap_days"
SILENCE_DAYS = "silence_days"
P_ALIVE = "p_alive"
EXPECTED_PURCHASES = "expected_purchases"
EXPECTED_SPEND = "expected_spend"
CLV = "clv"
RISK = "risk"  # "ok" / "at_risk" / "lost" / "new"
RHYTHM_FLAG = "rhythm_flag"  # the flag from the purchase rhythm alone, before P(alive)
REASON = "reason"

SCORE = "score"
SUGGESTED_TYPE = "suggested_type"

# --- backtest (holdout after the as-of date) ---
DECILE = "decile"  # 1 = the tenth of clients with the most predicted purchases
ACTUAL_PURCHASES = "actual_purchases"  # distinct purchase days in the holdout
PREDICTED_AMOUNT = "predicted_amount"  # expected purchases x expected spend
ACTUAL_AMOUNT = "actual_amount"  # total amount in the holdout
SCORE_RANK = "score_rank"  # 1 = best key-client score
CONTRIBUTION_PREFIX = "contribution_"  # contribution_<criterion>, adding up to the score
