// The case catalog: one line per case study.
#include "sim/cases/catalog.hpp"

#include "sim/cases/airbnb/airbnb_case.hpp"
#include "sim/cases/dynamo/dynamo_case.hpp"
#include "sim/cases/lambda/lambda_case.hpp"
#include "sim/cases/netflix/netflix_case.hpp"
#include "sim/cases/primevideo/primevideo_case.hpp"
#include "sim/cases/s3/s3_case.hpp"
#include "sim/cases/search/search_case.hpp"
#include "sim/cases/spotify/spotify_case.hpp"

namespace hexwire::sim::cases {

const std::vector<CaseSpec>& case_catalog() {
  static const std::vector<CaseSpec> cases = [] {
    std::vector<CaseSpec> list;
    list.push_back(dynamo::dynamo_case());
    list.push_back(s3::s3_case());
    list.push_back(lambda::lambda_case());
    list.push_back(primevideo::primevideo_case());
    list.push_back(search::search_case());
    list.push_back(netflix::netflix_case());
    list.push_back(spotify::spotify_case());
    list.push_back(airbnb::airbnb_case());
    return list;
  }();
  return cases;
}

const CaseSpec* find_case(std::string_view name) {
  for (const CaseSpec& spec : case_catalog()) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

}  // namespace hexwire::sim::cases
