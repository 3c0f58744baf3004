// What the worker mode carries over the broker, encoded as CBOR (docs/deploy.md):
//   a job    the request's spec (a run, or a judge with its tests), not a plan: the worker
//            plans it with its own profiles, limits and compile cache, exactly as a single
//            server would plan it;
//   a reply  the job's outcome, as the worker's slot pool reported it, and how often the
//            job was delivered.
// Byte strings (sources, inputs, outputs, files) travel as CBOR byte strings, byte for
// byte. Decoding never trusts the body: anything malformed is an error that says what.
#pragma once

#include <string>

#include "jobs/code_runner.h"
#include "jobs/job.h"
#include "jobs/language_profile.h"
#include "result.h"

namespace codecanvas::broker {

inline constexpr char kJobContentType[] = "application/cbor";

std::string encodeRunJob(const jobs::RunSpec& spec);
std::string encodeJudgeJob(const jobs::JudgeSpec& spec);

struct DecodedJob {
  bool judge = false;
  jobs::JudgeSpec spec;  // a run: spec.run alone
};
// The language is looked up by name in `languages`: a worker without it says so.
Result<DecodedJob> decodeJob(const std::string& body, const jobs::LanguageRegistry& languages);

struct Reply {
  jobs::JobOutcome outcome;
  unsigned deliveries = 1;  // 2 or more: the job was redelivered (a worker died or lost it)
};
std::string encodeReply(const Reply& reply);
Result<Reply> decodeReply(const std::string& body);

}  // namespace codecanvas::broker
