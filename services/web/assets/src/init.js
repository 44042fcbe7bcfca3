// GOV.UK Frontend's components (buttons, password input, error summary, ...).
import { initAll } from "/assets/govuk-frontend.min.js";

initAll();
