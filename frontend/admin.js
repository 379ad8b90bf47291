// Admin pages: upload progress, live ingest job progress, and confirming deletions.
import { bindConfirmations } from "./admin/confirm.js";
import { bindJobs } from "./admin/jobs.js";
import { bindUpload } from "./admin/upload.js";

bindConfirmations(document);
bindJobs(document);
bindUpload(document);
